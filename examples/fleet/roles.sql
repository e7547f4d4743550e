-- roles.sql: PostgreSQL roles for a certctl vault shared by many hosts, least privilege.
--
--   certctl_admin  owns the schema: runs `certctl init` once, and the first command of each
--                  newer certctl (which may migrate the schema). Used from an admin's machine.
--   certctl        every renewing host: reads and writes the vault's rows, and nothing else.
--                  It cannot create, alter or drop tables, run `certctl init` or migrate.
--
-- Run once as a superuser (CREATE SCHEMA ... AUTHORIZATION and ALTER DEFAULT PRIVILEGES FOR
-- ROLE act on behalf of certctl_admin), after adjusting the names: database "certs", schema
-- "certctl" (certctl's --vault-schema default):
--
--   sudo -u postgres createdb certs
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -d certs -f roles.sql
--
-- Then, as certctl_admin, create the vault (this makes the tables, owned by certctl_admin, and
-- the default privileges below give certctl its rights on them):
--
--   CERTCTL_VAULT='postgresql://certctl_admin@db.internal/certs?sslmode=verify-full' \
--     certctl init --generate-key-file vault.key
--
-- `certctl init` runs CREATE SCHEMA IF NOT EXISTS, which PostgreSQL checks against the CREATE
-- privilege on the database even when the schema exists: so init needs CREATE on the database
-- (granted to certctl_admin below; the database's owner has it anyway), and cannot be run as
-- certctl. Every other command needs only what certctl gets here.
--
-- The database role does not protect the keys: they are sealed under the vault key (the key
-- file or passphrase each host has). It limits what a host can do to the schema and to other
-- databases. Passwords: set them with \password in psql, or use client certificates; hosts read
-- theirs from PGPASSFILE / ~/.pgpass, never from the URI. In pg_hba.conf, let these roles in
-- over TLS only, e.g.
--   hostssl  certs  certctl,certctl_admin  10.0.0.0/8  scram-sha-256

CREATE ROLE certctl_admin LOGIN;
CREATE ROLE certctl LOGIN;

-- Only these roles may connect; certctl_admin may create the schema.
REVOKE ALL ON DATABASE certs FROM PUBLIC;
GRANT CONNECT, CREATE ON DATABASE certs TO certctl_admin;
GRANT CONNECT ON DATABASE certs TO certctl;

-- The schema, owned by the admin role (`certctl init` then finds it and creates the tables).
CREATE SCHEMA IF NOT EXISTS certctl AUTHORIZATION certctl_admin;
REVOKE ALL ON SCHEMA certctl FROM PUBLIC;
GRANT USAGE ON SCHEMA certctl TO certctl;

-- Tables and sequences certctl_admin creates in the schema from now on (certctl init, and the
-- migrations of newer versions): rows only, no DDL, no TRUNCATE.
ALTER DEFAULT PRIVILEGES FOR ROLE certctl_admin IN SCHEMA certctl
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO certctl;
ALTER DEFAULT PRIVILEGES FOR ROLE certctl_admin IN SCHEMA certctl
  GRANT USAGE ON SEQUENCES TO certctl;

-- The tables and sequences that exist already (when `certctl init` ran before this file):
-- kv, logs, leases, schema_version; revisions, lease_generations.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA certctl TO certctl;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA certctl TO certctl;

-- What certctl does with these: SELECT/INSERT/UPDATE/DELETE on kv (values and their
-- revisions, compare-and-swap updates), logs (audit.log and orders.log lines) and leases
-- (claims, read FOR SHARE to fence a commit, which needs UPDATE); SELECT on schema_version;
-- nextval() on the sequences (USAGE). Advisory locks and LISTEN/NOTIFY need no grant.
