#!/usr/bin/env bash
# The demo: install dependencies, build certctl, and run the embedded default end to end in a
# throw-away vault: a local CA issues a certificate for demo.certctl.test, then list and show.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh
bash tests/build.sh --target certctl

certctl=$PWD/build/certctl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CERTCTL_VAULT=$work/vault
# The passphrase comes from a 0600 file, never from the command line.
(umask 077 && head -c 18 /dev/urandom | base64 > "$work/passphrase")
export CERTCTL_PASSPHRASE_FILE=$work/passphrase

run() { printf '\n$ %s\n' "$*"; "$@"; }
run "$certctl" init
run "$certctl" ca local init
run "$certctl" create demo --domain demo.certctl.test --san www.demo.certctl.test --org "certctl demo"
run "$certctl" csr demo
run "$certctl" issue demo
run "$certctl" list
run "$certctl" show demo
printf '\n$ openssl verify -CAfile root.pem cert.pem\n'
"$certctl" ca local export-root --out "$work/root.pem" -q
"$certctl" show demo --pem cert > "$work/cert.pem"
openssl verify -CAfile "$work/root.pem" "$work/cert.pem"
