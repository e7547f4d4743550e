#!/usr/bin/env bash
# ACME issuance benchmark against Let's Encrypt's test CA pebble (loopback, PEBBLE_VA_NOSLEEP=1),
# every client on the same pebble in the same run:
#   - one ec256 certificate, account already registered, RUNS rounds (default 5) interleaved
#     (certctl with a key-file vault, certctl with a passphrase vault at the default scrypt
#     cost, uacme, certbot, lego, then again), so a slow moment of the machine hits all alike.
#     certctl, certbot and lego answer http-01 with their own responders on pebble's http-01
#     port; uacme has none, so its hook publishes dns-01 TXT records through
#     pebble-challtestsrv's management API (one curl per record), and it runs in a private mount
#     namespace where pebble's CA is the system bundle (libcurl-gnutls has no other way in).
#   - 20 certificates: certctl (key-file vault) creates, keys and issues 20 records in one
#     `issue NAME... --domain D...` run (one unlock, orders in parallel over one account session
#     per worker); lego runs once per certificate.
# The peers' logs go to files in the temp dir. Prints median wall time, median CPU (user + system, every process of the run) and peak RSS,
# and each peer's time as a multiple of certctl's (key-file vault).
# Targets (issue 13): one certificate <= 0.1 s median and <= 0.05 s CPU (key-file vault),
# <= 0.2 s with a passphrase vault, 20 certificates in one run <= 0.5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/deps.sh --test
source bench/lib.sh
bench_need lego certbot uacme time
bench_certctl
pebble_start

runs=${RUNS:-5}
export NO_COLOR=1
http=(--http-port "$PEBBLE_HTTP_PORT" --http-address 127.0.0.1)
q() { printf '%q ' "$@"; }

# certctl: a passphrase vault (default scrypt cost) and a key-file vault, each with its account.
vault_p=$TEST_TMP/vault-pass vault_k=$TEST_TMP/vault-key
CERTCTL_VAULT=$vault_p CERTCTL_PASSPHRASE=bench certctl init -q
CERTCTL_VAULT=$vault_k certctl init --generate-key-file "$TEST_TMP/vault.key" -q
for v in "$vault_p" "$vault_k"; do
  CERTCTL_VAULT=$v CERTCTL_PASSPHRASE=bench CERTCTL_KEY_FILE=$([ "$v" = "$vault_k" ] && echo "$TEST_TMP/vault.key") \
    bash -c "$(q "$CERTCTL_BIN" ca add pebble --directory "$PEBBLE_DIR_URL" --ca-bundle "$PEBBLE_CA_BUNDLE" -q) &&
             $(q "$CERTCTL_BIN" account register --ca pebble --email bench@example.com --agree-tos -q)"
done
# The commands are shell strings for measure.py; {run} becomes the round number.
export CERTCTL_PASSPHRASE=bench
one_certctl() {  # VAULT PREFIX [KEY_FILE]
  echo "CERTCTL_VAULT=$(q "$1") CERTCTL_KEY_FILE=$(q "${3:-}") exec $(q "$CERTCTL_BIN") -q issue $2-{run}" \
    "--domain $2-{run}.certctl.example.test --key-type ec256 --ca pebble $(q "${http[@]}")"
}

# lego: registered by a first run.
lego_path=$TEST_TMP/lego
export LEGO_CA_CERTIFICATES=$PEBBLE_CA_BUNDLE
lego_base=(lego --server "$PEBBLE_DIR_URL" --email bench@example.com --accept-tos --path "$lego_path"
  --http --http.port "127.0.0.1:$PEBBLE_HTTP_PORT")
"${lego_base[@]}" --domains warmup.lego.example.test run >/dev/null 2>&1

# certbot: standalone on pebble's http-01 port, registered by a first run.
cb=$TEST_TMP/certbot
export REQUESTS_CA_BUNDLE=$PEBBLE_CA_BUNDLE
certbot_base=(certbot --config-dir "$cb/config" --work-dir "$cb/work" --logs-dir "$cb/logs" certonly -n
  --agree-tos -m bench@example.com --server "$PEBBLE_DIR_URL" --standalone --http-01-address 127.0.0.1
  --http-01-port "$PEBBLE_HTTP_PORT" --key-type ecdsa --elliptic-curve secp256r1)
"${certbot_base[@]}" -d warmup.certbot.example.test >/dev/null 2>&1

# uacme: dns-01 through challtestsrv; pebble's CA as the system bundle in its own mount namespace.
uacme_dir=$TEST_TMP/uacme
mkdir -p "$uacme_dir/conf"
cat /etc/ssl/certs/ca-certificates.crt "$PEBBLE_CA_BUNDLE" >"$uacme_dir/bundle.pem"
cat >"$uacme_dir/hook" <<HOOK
#!/bin/sh
# uacme hook: METHOD TYPE IDENT TOKEN AUTH; dns-01 only (another type: not handled).
[ "\$2" = dns-01 ] || exit 1
case "\$1" in
begin) exec curl -fsS --max-time 5 -X POST -d "{\"host\":\"_acme-challenge.\$3.\",\"value\":\"\$5\"}" '$CTS_MGMT/set-txt' ;;
*) exec curl -fsS --max-time 5 -X POST -d "{\"host\":\"_acme-challenge.\$3.\"}" '$CTS_MGMT/clear-txt' ;;
esac
HOOK
chmod 755 "$uacme_dir/hook"
uacme_ns() { echo "exec unshare -m sh -c 'mount --bind $(q "$uacme_dir/bundle.pem") /etc/ssl/certs/ca-certificates.crt && exec \"\$0\" \"\$@\"'"; }
uacme_base="$(uacme_ns) uacme -c $(q "$uacme_dir/conf") -a $(q "$PEBBLE_DIR_URL")"
bash -c "$uacme_base -y new bench@example.com" >/dev/null 2>&1 || { echo "uacme could not register" >&2; exit 1; }

measure() { python3 "$bench_dir/measure.py" --machine "$@"; }
declare -A wall cpu rss
while read -r label w c r; do wall[$label]=$w cpu[$label]=$c rss[$label]=$r; done < <(
  python3 "$bench_dir/measure.py" --interleave "$runs" \
    "certctl-key=$(one_certctl "$vault_k" one-k "$TEST_TMP/vault.key")" \
    "certctl-pass=$(one_certctl "$vault_p" one-p)" \
    "uacme=exec 2>>$(q "$TEST_TMP/uacme.log"); $uacme_base -t EC -b 256 -h $(q "$uacme_dir/hook") issue one-{run}.uacme.example.test" \
    "certbot=exec 2>>$(q "$TEST_TMP/certbot.log"); exec $(q "${certbot_base[@]}") -d one-{run}.certbot.example.test" \
    "lego=exec 2>>$(q "$TEST_TMP/lego.log"); exec $(q "${lego_base[@]}") --key-type ec256 --domains one-{run}.lego.example.test run")

printf '\nOne ec256 certificate from pebble (loopback, account registered), median of %s interleaved rounds, %s cores\n' \
  "$runs" "$(nproc)"
printf '%-34s %10s %10s %10s %14s\n' client "wall s" "CPU s" "MiB" "x certctl"
for label in certctl-key certctl-pass uacme certbot lego; do
  printf '%-34s %10.3f %10.3f %10.1f %14.1f\n' "$label" "${wall[$label]}" "${cpu[$label]}" "${rss[$label]}" \
    "$(python3 -c "print(${wall[$label]} / ${wall[certctl-key]})")"
done
echo "(certctl-key: key-file vault; certctl-pass: passphrase vault, scrypt N=32768; x certctl: wall time / certctl-key's)"

# Twenty certificates (RUNS20 runs, default 3; 0 skips them).
runs20=${RUNS20:-3}
if ((runs20 > 0)); then
  cat >"$TEST_TMP/twenty-certctl.sh" <<SCRIPT
set -e
names=() domains=()
for i in \$(seq 1 20); do
  names+=("t\$1-\$i") domains+=(--domain "t\$1-\$i.certctl.example.test")
done
exec "$CERTCTL_BIN" -q issue "\${names[@]}" "\${domains[@]}" --ca pebble --parallel 4 \
  --http-port $PEBBLE_HTTP_PORT --http-address 127.0.0.1
SCRIPT
  cat >"$TEST_TMP/twenty-lego.sh" <<SCRIPT
set -e
for i in \$(seq 1 20); do
  $(printf '%q ' "${lego_base[@]}") --domains "t\$1-\$i.lego.example.test" run >/dev/null 2>&1
done
SCRIPT

  record() { read -r label w r; wall[$label]=$w; rss[$label]=$r; }
  record < <(CERTCTL_VAULT=$vault_k CERTCTL_KEY_FILE=$TEST_TMP/vault.key \
    measure c-20 "$runs20" -- bash "$TEST_TMP/twenty-certctl.sh" "{run}")
  record < <(measure l-20 "$runs20" -- bash "$TEST_TMP/twenty-lego.sh" "{run}")

  printf '\n20 certificates (http-01), median of %s runs\n' "$runs20"
  printf '%-34s %10s %10s %12s %10s %10s\n' work "certctl s" "MiB" "lego s" "MiB" "x certctl"
  printf '%-34s %10.3f %10.1f %12.3f %10.1f %10.1f\n' "20 certificates" "${wall[c-20]}" "${rss[c-20]}" "${wall[l-20]}" \
  "${rss[l-20]}" "$(python3 -c "print(${wall[l-20]} / ${wall[c-20]})")"
  echo "(certctl: one issue run that creates, keys and issues the 20 records, --parallel 4, key-file vault; lego: one run per certificate)"
fi
CHECKS=1
