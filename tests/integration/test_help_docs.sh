#!/usr/bin/env bash
# shellcheck disable=SC2016 # backquotes in expected messages, and scripts for bash -c
# The documentation matches the binary: usage lines and the exit-status footer of --help,
# "did you mean" for unknown commands and options, the man page against every command's
# --help (tests/support/docs_check.py), the completions (syntax, every command and option,
# stored DNS providers, CMake installing them), the README quick start run as written, and the
# cron and systemd examples. README's command table has every command, global option and
# environment variable.
source "$(dirname "$0")/lib.sh"

src=${CERTCTL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
check_py=$src/tests/support/docs_check.py

step "usage lines name the whole command path"
expect_ok certctl help ca local init
assert_contains "$OUT" "Usage: certctl ca local init [OPTIONS]"
expect_ok certctl issue --help
assert_contains "$OUT" "Usage: certctl issue [OPTIONS]"
expect_ok certctl dns add --help
assert_contains "$OUT" "Usage: certctl dns add [OPTIONS]"
expect_ok certctl --help
assert_contains "$OUT" "Usage: certctl [OPTIONS] SUBCOMMAND"
# `help` alone is the root's help, listing every command (not help's own).
expect_ok certctl help
assert_contains "$OUT" "Usage: certctl [OPTIONS] SUBCOMMAND"
for c in init vault ca account create edit csr issue import list show export export-pfx renew check notify policy \
  deploy dns revoke delete orders audit host agent migrate help; do
  grep -qE "^  $c( |,)" <<<"$OUT" || fail "certctl help does not list $c"
  pass
done
expect_exit 2 certctl help lst
assert_contains "$ERR" 'did you mean `list`?'

step "the exit-status footer has every code of the man page's EXIT STATUS"
expect_ok certctl --help
footer=$(sed -n '/^Exit status:/,$p' <<<"$OUT" | tr '\n' ' ')
codes=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH/p' "$src/man/certctl.1" | sed -n 's/^\.B \([0-9][0-9]*\)$/\1/p')
[[ -n $codes ]] || fail "no codes found under EXIT STATUS in the man page"
for code in $codes; do
  [[ $footer == *" $code "* ]] || fail "the --help footer lacks exit status $code: $footer"
  pass
done
assert_contains "$footer" "11 deploy failed"
assert_contains "$(grep -F '| 11 |' "$src/README.md")" "deploy"
assert_contains "$footer" "12 policy refused"
assert_contains "$(grep -F '| 12 |' "$src/README.md")" "policy"

step "an unknown command or option suggests the closest (one line, exit 2)"
expect_exit 2 certctl lst
assert_eq "$ERR" "certctl: unknown command 'lst'; did you mean \`list\`? (see \`certctl --help\`)"
expect_exit 2 certctl ca lcal
assert_contains "$ERR" 'did you mean `local`?'
expect_exit 2 certctl list --jsn
assert_eq "$ERR" "certctl: list: unknown option '--jsn'; did you mean \`--json\`? (see \`certctl help list\`)"
expect_exit 2 certctl renew --dry-rn
assert_contains "$ERR" 'did you mean `--dry-run`?'
expect_exit 2 certctl --vaultt /tmp/x list
assert_contains "$ERR" 'did you mean `--vault`?'
# Far from everything: no guess, CLI11's message.
expect_exit 2 certctl frobnicate
assert_not_contains "$ERR" "did you mean"
expect_exit 2 certctl list --frobnicate
assert_not_contains "$ERR" "did you mean"
assert_contains "$ERR" "--frobnicate"

step "the man page lists every option --help shows, and no other"
rc=0
report=$(python3 "$check_py" man "$CERTCTL_BIN" "$src/man/certctl.1") || rc=$?
((rc == 0)) || fail "man page and --help differ:"$'\n'"$report"
pass
# The check itself notices a missing and an extra option.
sed -e 's/^\.BI \\-\\-hook\\-timeout /.BI \\-\\-hook\\-tmo /' "$src/man/certctl.1" >"$TEST_TMP/broken.1"
rc=0
report=$(python3 "$check_py" man "$CERTCTL_BIN" "$TEST_TMP/broken.1") || rc=$?
assert_eq "$rc" 1 "docs_check on a man page without --hook-timeout"
assert_contains "$report" "dns add: --hook-timeout is missing"
assert_contains "$report" "dns add: lists --hook-tmo"

step "the README's command table has every command, global option and variable"
rc=0
report=$(python3 "$check_py" readme "$CERTCTL_BIN" "$src/README.md" "$src/man/certctl.1") || rc=$?
((rc == 0)) || fail "README and --help differ:"$'\n'"$report"
pass

step "completions: syntax, and every command and option of the binary"
expect_ok bash -n "$src/completions/certctl.bash"
if command -v zsh >/dev/null; then expect_ok zsh -n "$src/completions/_certctl"; else echo "    (no zsh here: zsh -n skipped)"; fi
if command -v fish >/dev/null; then expect_ok fish -n "$src/completions/certctl.fish"; else echo "    (no fish here: fish -n skipped)"; fi
rc=0
report=$(python3 "$check_py" completions "$CERTCTL_BIN" "$src/completions/certctl.bash" "$src/completions/_certctl" \
  "$src/completions/certctl.fish") || rc=$?
((rc == 0)) || fail "completions and --help differ:"$'\n'"$report"
pass

step "bash (and fish) completion: provider types, stored DNS providers after --dns"
new_vault "$TEST_TMP/vault"
expect_ok certctl dns add myhook --provider exec --command /bin/true
expect_ok certctl dns add other-hook --provider exec --command /bin/true
# complete WORDS...: COMPREPLY of certctl.bash for the last word, one per line.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _certctl; printf "%s\n" "${COMPREPLY[@]}"' \
    complete "$src/completions/certctl.bash" "$@" </dev/null
}
got=$(complete_words "$CERTCTL_BIN" dns add p --provider '')
assert_eq "$(sort <<<"$got" | tr '\n' ' ')" "acme-dns aliyun azure cloudflare desec digitalocean exec gandi gcloud godaddy hetzner httpreq linode ovh porkbun powerdns rfc2136 route53 " "dns add --provider"
got=$(complete_words "$CERTCTL_BIN" dns add p --provider e)
assert_eq "$got" "exec" "dns add --provider e"
got=$(complete_words "$CERTCTL_BIN" issue web --dns '')
assert_eq "$(sort <<<"$got" | tr '\n' ' ')" "exec: manual myhook other-hook " "issue --dns"
got=$(complete_words "$CERTCTL_BIN" edit web --dns o)
assert_eq "$got" "other-hook" "edit --dns o"
got=$(complete_words "$CERTCTL_BIN" dns show '')
assert_eq "$(sort <<<"$got" | tr '\n' ' ')" "myhook other-hook " "dns show"
got=$(complete_words "$CERTCTL_BIN" dns add p --hook-t)
assert_eq "$got" "--hook-timeout" "dns add --hook-t"

if command -v fish >/dev/null; then
  # fish_complete LINE: fish's completions for LINE, the words only, sorted, on one line.
  fish_complete() {
    mkdir -p "$TEST_TMP/fishbin"
    ln -sf "$CERTCTL_BIN" "$TEST_TMP/fishbin/certctl"
    PATH="$TEST_TMP/fishbin:$PATH" fish --no-config -c 'source $argv[1]; complete -C $argv[2]' \
      "$src/completions/certctl.fish" "$1" </dev/null | cut -f1 | sort | tr '\n' ' '
  }
  assert_eq "$(fish_complete 'certctl issue web --dns ')" "exec: manual myhook other-hook " "fish: issue --dns"
  assert_eq "$(fish_complete 'certctl dns add p --provider ')" "acme-dns aliyun azure cloudflare desec digitalocean exec gandi gcloud godaddy hetzner httpreq linode ovh porkbun powerdns rfc2136 route53 " \
    "fish: dns add --provider"
  assert_eq "$(fish_complete 'certctl dns remove ')" "myhook other-hook " "fish: dns remove"
else
  echo "    (no fish here: fish completion not exercised)"
fi

step "CMake installs the man pages and the three completion files"
build_dir=$(dirname "$CERTCTL_BIN")
if [[ -f $build_dir/cmake_install.cmake ]]; then
  expect_ok cmake --install "$build_dir" --prefix "$TEST_TMP/prefix"
  for f in bin/certctl share/man/man1/certctl.1 share/man/man5/certctl-vault.5 \
    share/bash-completion/completions/certctl share/zsh/vendor-completions/_certctl \
    share/fish/vendor_completions.d/certctl.fish; do
    [[ -f $TEST_TMP/prefix/$f ]] || fail "cmake --install did not install $f"
    pass
  done
  cmp -s "$src/completions/certctl.bash" "$TEST_TMP/prefix/share/bash-completion/completions/certctl" ||
    fail "installed bash completion differs from completions/certctl.bash"
else
  echo "    (no cmake_install.cmake beside $CERTCTL_BIN: install check skipped)"
fi

step "the README quick start works as written, in a fresh home"
qs=$TEST_TMP/quickstart
mkdir -p "$qs/home" "$qs/bin" "$qs/cwd"
ln -s "$CERTCTL_BIN" "$qs/bin/certctl"
sed -n '/^## Quick start$/,/^```$/p' "$src/README.md" | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d' >"$qs/quickstart.sh"
[[ $(wc -l <"$qs/quickstart.sh") -ge 8 ]] || fail "README quick start not found: $(cat "$qs/quickstart.sh")"
grep -q '^certctl init' "$qs/quickstart.sh" || fail "README quick start has no certctl init"
expect_ok env -u XDG_DATA_HOME -u CERTCTL_VAULT -u CERTCTL_PASSPHRASE_FILE HOME="$qs/home" PATH="$qs/bin:$PATH" \
  bash -c 'cd "$1" && set -euo pipefail && source "$2"' quickstart "$qs/cwd" "$qs/quickstart.sh"
assert_contains "$OUT" "web"
[[ -f $qs/home/.local/share/certctl/config.toml ]] || fail "the quick start's vault is not in ~/.local/share/certctl"
pass
for f in cert.pem chain.pem fullchain.pem key.pem; do
  [[ -s $qs/home/tls/web/$f ]] || fail "quick start: export wrote no $f"
  pass
done
[[ -s $qs/cwd/web.pfx ]] || fail "quick start: export-pfx wrote no web.pfx"
assert_mode "$qs/home/.config/certctl/passphrase" 600
pass

step "the systemd unit: valid, LoadCredential= that certctl reads, port 80 for its user"
unit=$src/examples/certctl-renew.service
grep -q '^LoadCredential=certctl.passphrase:' "$unit" || fail "the unit does not load the credential certctl.passphrase"
grep -q '^AmbientCapabilities=CAP_NET_BIND_SERVICE$' "$unit" || fail "the unit does not give its user port 80"
grep -q '^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$' "$unit" || fail "the unit's bounding set lacks CAP_NET_BIND_SERVICE"
user=$(sed -n 's/^User=//p' "$unit")
[[ -n $user && $user != root ]] || fail "the unit runs as root (User=$user)"
assert_not_contains "$(grep -v '^#' "$unit")" "CERTCTL_PASSPHRASE" "the unit's settings"
pass
# Its ExecStart with its Environment=, the credential in a directory standing in for
# $CREDENTIALS_DIRECTORY (the test vault instead of /var/lib/certctl).
creds=$TEST_TMP/unit-credentials
mkdir -m 0700 "$creds"
cp "$CERTCTL_PASSPHRASE_FILE" "$creds/$(sed -n 's/^LoadCredential=\([^:]*\):.*/\1/p' "$unit")"
mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$unit" | grep -v '^CERTCTL_VAULT=')
exec_start=$(sed -n 's#^ExecStart=/usr/local/bin/certctl ##p' "$unit")
[[ -n $exec_start ]] || fail "no ExecStart=/usr/local/bin/certctl line in the unit"
# shellcheck disable=SC2086 # the unit's command line, split as systemd splits it
expect_ok env -u CERTCTL_PASSPHRASE_FILE "${unit_env[@]}" CREDENTIALS_DIRECTORY="$creds" "$CERTCTL_BIN" $exec_start
# shellcheck disable=SC2086
expect_exit 2 env -u CERTCTL_PASSPHRASE_FILE "${unit_env[@]}" CREDENTIALS_DIRECTORY="$TEST_TMP" "$CERTCTL_BIN" $exec_start
if command -v systemd-analyze >/dev/null; then
  mkdir "$TEST_TMP/units"
  sed "s#/usr/local/bin/certctl#$CERTCTL_BIN#g" "$unit" >"$TEST_TMP/units/certctl-renew.service"
  cp "$src/examples/certctl-renew.timer" "$TEST_TMP/units/"
  rc=0
  SYSTEMD_LOG_LEVEL=warning timeout 120 systemd-analyze verify --man=no "$TEST_TMP/units/certctl-renew.service" \
    "$TEST_TMP/units/certctl-renew.timer" >"$TEST_TMP/verify.out" 2>&1 || rc=$?
  # Unknown or misspelt settings are only warnings: none may appear.
  [[ $rc == 0 && ! -s $TEST_TMP/verify.out ]] || fail "systemd-analyze verify (exit $rc): $(cat "$TEST_TMP/verify.out")"
  pass
else
  echo "    (no systemd-analyze here: unit verification skipped)"
fi

step "the cron example: its variables and job line work for the user it names"
cron=$src/examples/cron.d-certctl
job=$(grep -E '^[0-9*/,-]+ +[0-9*/,-]+ +[0-9*/,-]+ +[0-9*/,-]+ +[0-9*/,-]+ ' "$cron")
[[ $(wc -l <<<"$job") == 1 ]] || fail "expected one job line in the cron example: $job"
read -r _ _ _ _ _ cron_user cron_cmd <<<"$job"
[[ $cron_user != root ]] || fail "the cron job runs as root"
grep -q "^CERTCTL_PASSPHRASE_FILE=/" "$cron" || fail "the cron example names no passphrase file"
grep -q "^CERTCTL_VAULT=/" "$cron" || fail "the cron example names no vault"
assert_contains "$(grep -i 'install -d' "$cron")" "-o $cron_user" "the cron set-up's directories"
# The job's command (no jitter here) on the test vault; with its passphrase file missing, it
# fails at once although nothing is due.
cron_args=${cron_cmd#/usr/local/bin/certctl }
cron_args=${cron_args/--jitter 30m/--jitter 0}
# shellcheck disable=SC2086
expect_ok "$CERTCTL_BIN" $cron_args
# shellcheck disable=SC2086
expect_exit 10 env CERTCTL_PASSPHRASE_FILE="$TEST_TMP/missing" "$CERTCTL_BIN" $cron_args
assert_contains "$ERR" "$TEST_TMP/missing"
