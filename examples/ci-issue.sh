#!/usr/bin/env bash
# A CI job that keeps one certificate from an ACME CA: the first run creates the vault, the
# record, the key and the ACME account and issues; later runs renew when the certificate is
# due; every run exports cert.pem, chain.pem, fullchain.pem, key.pem and a PKCS#12 file.
# Validation is http-01 through the document root of the web server that serves the domain,
# so the job runs where that directory is (the web server itself, or a runner that mounts it).
# See gitlab-ci.yml and github-workflow.yml beside this file for the pipeline side. It passes
# --agree-tos: running it agrees to the CA's terms of service.
#
# Secrets come from the CI secret store as files, never as command-line arguments:
#   CERTCTL_PASSPHRASE_FILE  the vault passphrase (required; read by certctl itself). GitLab:
#                            a variable of type "File"; GitHub Actions: write the secret to a
#                            0600 file first (see github-workflow.yml).
#   PFX_PASSWORD_FILE        the password of the PKCS#12 file (required; without it certctl
#                            would print a generated one into the job log).
# Settings (CI variables):
#   CERT_DOMAIN      the certificate's domain (required)
#   CERT_SANS        further names, separated by spaces (used when the record is created)
#   CERT_NAME        the record name (default: CERT_DOMAIN)
#   ACME_CA          CA profile (default letsencrypt-staging; letsencrypt once the job works)
#   ACME_DIRECTORY   for a CA that is not built in: its directory URL, added as ACME_CA
#   ACME_CA_BUNDLE   with ACME_DIRECTORY: PEM roots for the CA's TLS, if not public
#   ACME_EMAIL       the account's contact (required while the CA has no account)
#   WEBROOT          the document root served on port 80 of every name (default /var/www/html)
#   OUT_DIR          where the files go (default ./certs; created 0700). key.pem and the PFX
#                    are secret: deploy them from there, never publish them as artifacts.
#   CERTCTL_VAULT    the vault; it must survive between runs (a runner volume, or a cache
#                    that only this project can read): a fresh vault means a new account and
#                    a new certificate every run, and the CA's rate limits. Default:
#                    ~/.local/share/certctl of the runner's user.
#   FORCE_RENEW=1    issue even when the certificate is not due.
#   DRY_RUN=1        only check that the CA validates every name (issue --dry-run: nothing is
#                    created, stored or exported; the CA must have an account already).
#   CERTCTL          the certctl binary (default: certctl on PATH).
# Exit status: certctl's (see certctl(1)): 7 the CA refused, 6 network, 8 DNS, ...
set -euo pipefail
umask 077

certctl=${CERTCTL:-certctl}
: "${CERTCTL_PASSPHRASE_FILE:?set CERTCTL_PASSPHRASE_FILE to the vault passphrase file from the CI secret store}"
: "${PFX_PASSWORD_FILE:?set PFX_PASSWORD_FILE to the PKCS#12 password file from the CI secret store}"
: "${CERT_DOMAIN:?set CERT_DOMAIN to the domain of the certificate}"
export CERTCTL_PASSPHRASE_FILE
unset CERTCTL_PASSPHRASE  # the file, not a variable that every child process would see
domain=$CERT_DOMAIN
name=${CERT_NAME:-$domain}
ca=${ACME_CA:-letsencrypt-staging}
webroot=${WEBROOT:-/var/www/html}
out=${OUT_DIR:-certs}
read -ra sans <<<"${CERT_SANS:-}"
vault=${CERTCTL_VAULT:-${XDG_DATA_HOME:-$HOME/.local/share}/certctl}

# Each certctl command is shown (on stderr) before it runs; no secret is ever on one.
run() { { printf '$ certctl'; printf ' %q' "$@"; printf '\n'; } >&2; "$certctl" "$@"; }

[[ -r $CERTCTL_PASSPHRASE_FILE ]] || { echo "cannot read CERTCTL_PASSPHRASE_FILE" >&2; exit 2; }
[[ -r $PFX_PASSWORD_FILE ]] || { echo "cannot read PFX_PASSWORD_FILE" >&2; exit 2; }

# 1. The vault: created on the first run, reused afterwards.
if [[ ! -e $vault/config.toml ]]; then
  run init
fi

# 2. A CA that is not built in.
if [[ -n ${ACME_DIRECTORY:-} ]]; then
  run ca add "$ca" --directory "$ACME_DIRECTORY" ${ACME_CA_BUNDLE:+--ca-bundle "$ACME_CA_BUNDLE"}
fi

# 3. Is it due? Not when the record is active with more days left than its renewal threshold
#    (certctl's: the record's --renew-days, else the last third of the lifetime).
due=1
if json=$("$certctl" show "$name" --json 2>/dev/null); then
  field() { sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" <<<"$json"; }
  status=$(field status) days=$(field days_remaining) threshold=$(field auto_renew_days)
  if [[ $status == active && $days =~ ^[0-9]+$ && $threshold =~ ^[0-9]+$ ]] && ((days > threshold)); then
    due=0
    echo "$name: $days days left, renewal after $threshold days left: not due" >&2
  fi
fi

# 4. Issue in one step: create the record (key and CSR in the vault), register the account
#    if the CA has none, answer http-01 with files under the web root, issue. The record keeps
#    --webroot, so a plain `certctl issue NAME` renews the same way.
san_args=()
for s in "${sans[@]}"; do san_args+=(--san "$s"); done
if [[ ${DRY_RUN:-} == 1 ]]; then
  run issue "$name" --domain "$domain" "${san_args[@]}" --ca "$ca" --webroot "$webroot" --dry-run
  exit 0
fi
if ((due)) || [[ ${FORCE_RENEW:-} == 1 ]]; then
  run issue "$name" --domain "$domain" "${san_args[@]}" --ca "$ca" \
    ${ACME_EMAIL:+--email "$ACME_EMAIL"} --agree-tos --webroot "$webroot"
fi

# 5. The files for the web server and a PKCS#12 file for Windows and Java.
run export "$name" --dir "$out"
run export-pfx "$name" --out "$out/$name.pfx" --password-file "$PFX_PASSWORD_FILE"
run orders "$name" >&2
