#!/usr/bin/env bash
# The whole offline flow with certctl's local CA, in a throwaway vault:
#   init -> ca local init -> create -> csr -> issue -> list/show -> export -> export-pfx
#   -> reissue (history) -> rotate the intermediate, renew onto it -> delete
# Nothing outside a temporary directory is touched. Run with CERTCTL=/path/to/certctl to use
# a binary that is not on PATH.
set -euo pipefail

certctl=${CERTCTL:-certctl}
work=$(mktemp -d)                  # mode 0700
trap 'rm -rf "$work"' EXIT

step() { printf '\n== %s\n' "$*"; }
# Show each certctl command (on stderr, so that pipes and $(...) get only its output).
run() { { printf '$ certctl'; printf ' %q' "$@"; printf '\n'; } >&2; "$certctl" "$@"; }

# A throwaway vault, unlocked by a passphrase file only we can read. certctl never takes a
# passphrase on the command line.
export CERTCTL_VAULT=$work/vault
export CERTCTL_PASSPHRASE_FILE=$work/passphrase
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$CERTCTL_PASSPHRASE_FILE")
chmod 600 "$CERTCTL_PASSPHRASE_FILE"

step "Create the vault and the local root CA"
run init
run ca local init --cn "Example Dev CA" --permit example.test --permit 127.0.0.0/8
run ca local show
run ca local export-root --out "$work/root.pem"
openssl x509 -in "$work/root.pem" -noout -subject -enddate
run vault info

step "Create a record: a draft, no key yet"
run create web --domain example.test --san www.example.test --san 127.0.0.1 \
  --org "Example Ltd" --country GB
run list --status draft

step "Make the key (encrypted in the vault) and the CSR; the record becomes pending"
run csr web
run show web --pem csr | openssl req -noout -subject

step "Issue from the local CA; the record becomes active"
run issue web --days 30
run list
run show web

step "Export PEM files and check them against the root"
run export web --dir "$work/out"
ls -l "$work/out"
openssl verify -CAfile "$work/root.pem" -untrusted "$work/out/fullchain.pem" "$work/out/cert.pem"

step "Export a PKCS#12 file with our own password"
(umask 077 && printf '%s\n' "pfx-$(date +%s)" >"$work/pfx-password")
run export-pfx web --out "$work/web.pfx" --password-file "$work/pfx-password" \
  --friendly-name "example.test"
openssl pkcs12 -in "$work/web.pfx" -passin "file:$work/pfx-password" -nokeys -noout -info

step "Reissue: the first version moves to the history"
run issue web --days 30
run show web --version 1 --pem cert | openssl x509 -noout -serial
run show web --pem cert | openssl x509 -noout -serial

step "What will be due in 20 days? (CERTCTL_NOW moves the clock)"
CERTCTL_NOW=$(($(date +%s) + 20 * 86400)) run list --expiring-within 15

step "Rotate the intermediate: the old one stays valid; renew moves the record to the new one"
run ca local rotate --intermediate --overlap 30
run renew
run show web --pem chain | openssl x509 -noout -subject
run export web --dir "$work/out"
openssl verify -CAfile "$work/root.pem" -untrusted "$work/out/chain.pem" "$work/out/cert.pem"

step "Delete the record (--yes because a script has no terminal to ask on)"
run delete web --yes
run list --json

step "Check the audit log: every line chained with an HMAC under the vault key"
run audit verify

step "Done; the vault in $work is removed on exit"
