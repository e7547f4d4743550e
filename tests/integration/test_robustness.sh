#!/usr/bin/env bash
# Robustness (issue 10): settings that cannot work, an unwritable audit log, leftovers of
# killed runs, names from certificates, permissions inside the vault, imports that should not
# pass. Every refusal is one line, the documented exit code, and leaves the vault unchanged.
source "$(dirname "$0")/lib.sh"

new_vault "$TEST_TMP/vault"
W=$TEST_TMP/work
mkdir -p "$W"

step "responder settings are checked when parsed, whatever the CA"
expect_ok certctl create web --domain web.example
before=$(vault_digest)
expect_exit 2 certctl issue web --challenge http-01 --http-port 70000
assert_contains "$ERR" "--http-port"
expect_exit 2 certctl issue web --challenge http-01 --http-port 0
assert_contains "$ERR" "--http-port"
expect_exit 2 certctl issue web --challenge tls-alpn-01 --tls-port 65536
assert_contains "$ERR" "--tls-port"
expect_exit 2 certctl issue web --http-address 999.0.0.1
assert_contains "$ERR" "--http-address"
assert_contains "$ERR" "999.0.0.1"
expect_exit 2 certctl issue web --http-address example.com
assert_contains "$ERR" "--http-address"
assert_eq "$(vault_digest)" "$before" "vault after refused responder settings"
expect_ok certctl csr web
expect_ok certctl issue web --http-address ::1 --http-port 8080 --tls-port 8443
expect_ok certctl show web --json
json_check 'd["issue"]["http_port"] == 8080 and d["issue"]["http_address"] == "::1" and d["issue"]["tls_port"] == 8443'

step "export-pfx reads its password before the vault key or the record's key is decrypted"
: >"$W/empty.pw"
new_passphrase_file "$W/wrong.pass" "not the passphrase"
expect_exit 4 env CERTCTL_PASSPHRASE_FILE="$W/wrong.pass" "$CERTCTL_BIN" export-pfx web --out "$W/web.p12" --password-file "$W/empty.pw"
assert_contains "$ERR" "$W/empty.pw"
key=$CERTCTL_VAULT/certs/web/v1/key.enc
cp -p "$key" "$W/key.enc.saved"
printf 'CCK1 damaged' >"$key"
expect_exit 4 certctl export-pfx web --out "$W/web.p12" --password-file "$W/empty.pw"
assert_contains "$ERR" "$W/empty.pw"
cp -p "$W/key.enc.saved" "$key"
[[ ! -e $W/web.p12 ]] || fail "a refused export-pfx wrote $W/web.p12"
printf 'pfx pass\n' >"$W/pfx.pw"
expect_ok certctl export-pfx web --out "$W/web.p12" --password-file "$W/pfx.pw"
openssl pkcs12 -in "$W/web.p12" -passin pass:'pfx pass' -noout 2>/dev/null || fail "web.p12 does not open with its password"
pass

step "an audit log that cannot take a line stops a change before it starts"
mv "$CERTCTL_VAULT/audit.log" "$W/audit.log.saved"
mkdir "$CERTCTL_VAULT/audit.log"
before=$(vault_digest)
expect_exit 5 certctl create blocked --domain blocked.example
assert_contains "$ERR" "$CERTCTL_VAULT/audit.log"
expect_exit 5 certctl csr web
assert_contains "$ERR" "audit.log"
expect_exit 5 certctl issue web
assert_contains "$ERR" "audit.log"
expect_exit 5 certctl delete web --yes
assert_contains "$ERR" "audit.log"
assert_eq "$(vault_digest)" "$before" "vault after changes refused for the audit log"
rmdir "$CERTCTL_VAULT/audit.log"
mv "$W/audit.log.saved" "$CERTCTL_VAULT/audit.log"
expect_ok certctl create blocked --domain blocked.example
expect_ok certctl delete blocked --yes
assert_contains "$(tail -n 1 "$CERTCTL_VAULT/audit.log")" '"delete"'

step "leftovers of killed runs are swept under the lock; a live process's are kept"
certs=$CERTCTL_VAULT/certs
dead=999999999  # above any pid_max: no such process
mkdir -p "$certs/.deleted.$dead.gone/v1" "$certs/.deleted.$$.busy/v1"
cp "$certs/web/v1/key.enc" "$certs/.deleted.$dead.gone/v1/key.enc"
cp "$certs/web/v1/key.enc" "$certs/.deleted.$$.busy/v1/key.enc"
mkdir -p "$certs/web/v2" "$certs/web/v7"
cp "$certs/web/v1/key.enc" "$certs/web/v2/key.enc"
printf 'x' >"$certs/web/.record.toml.$dead.0.tmp"
expect_ok certctl create other --domain other.example
[[ ! -e $certs/.deleted.$dead.gone ]] || fail "a deleted record of a dead run was not swept"
[[ -e $certs/.deleted.$$.busy/v1/key.enc ]] || fail "a deleted record of a live process was swept"
pass
expect_ok certctl edit web --renew-days 20
[[ ! -e $certs/web/v2 && ! -e $certs/web/v7 ]] || fail "orphan versions above the record's were not swept: $(ls "$certs/web")"
[[ ! -e $certs/web/.record.toml.$dead.0.tmp ]] || fail "a temp file of a dead run was not swept"
[[ -e $certs/web/v1/key.enc ]] || fail "the record's own version was swept"
pass
expect_ok certctl show web --pem cert
rm -rf "$certs/.deleted.$$.busy"

step "export: key.pem never exists under another name, old temp files of dead runs are swept"
out=$W/exp
mkdir -p "$out"
printf 'PRIVATE KEY\n' >"$out/.key.pem.$dead.0.tmp"
printf 'PRIVATE KEY\n' >"$out/.key.pem.$$.0.tmp"
# Every name created in the directory during the export (inotify), in order.
created=$(python3 - "$out" "$CERTCTL_BIN" export web --dir "$out" <<'PY'
import ctypes, os, struct, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(os.O_NONBLOCK)
IN_CREATE, IN_MOVED_TO = 0x100, 0x80
assert libc.inotify_add_watch(fd, sys.argv[1].encode(), IN_CREATE | IN_MOVED_TO) >= 0
subprocess.run(sys.argv[2:], check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
names = []
try:
    buf = os.read(fd, 1 << 16)
except BlockingIOError:
    buf = b""
i = 0
while i < len(buf):
    _, mask, _, n = struct.unpack_from("iIII", buf, i)
    names.append(buf[i + 16:i + 16 + n].rstrip(b"\0").decode())
    i += 16 + n
print(" ".join(names))
PY
) || fail "export under inotify failed"
assert_contains " $created " " key.pem " "names created by export"
assert_not_contains "$created" ".tmp" "names created by export"
[[ ! -e $out/.key.pem.$dead.0.tmp ]] || fail "a plaintext temp key of a dead run was left in the export dir"
[[ -e $out/.key.pem.$$.0.tmp ]] || fail "a temp file of a live process was swept"
pass
rm -f "$out/.key.pem.$$.0.tmp"
assert_mode "$out/key.pem" 600
expect_ok certctl export web --dir "$out"   # replacing: still nothing left beside the outputs
assert_eq "$(ls -A "$out" | tr '\n' ' ')" "cert.pem chain.pem fullchain.pem key.pem " "export dir"

step "names taken from an imported certificate are checked like names on the command line"
cd "$W"
mkcert() {  # mkcert STEM SUBJ [openssl req options...]
  local stem=$1 subj=$2
  shift 2
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$stem.key" -out "$stem.pem" \
    -subj "$subj" -days 30 "$@" 2>/dev/null || fail "openssl could not make $stem"
}
mkcert trav '/CN=..\/..\/escaped'
mkcert shell '/CN=$(touch pwned).example'
mkcert nl $'/CN=line1\nline2.example'
mkcert badsan '/CN=ok.example' -addext 'subjectAltName=DNS:ok.example,DNS:bad_name!.example'
before=$(vault_digest)
expect_exit 4 certctl import trav --cert trav.pem --key trav.key
assert_contains "$ERR" "certctl: trav.pem: "
assert_contains "$ERR" "subject CN"
expect_exit 4 certctl import shell --cert shell.pem --key shell.key
assert_contains "$ERR" "subject CN"
expect_exit 4 certctl import nl --cert nl.pem --key nl.key   # one stderr line: the newline is escaped
assert_contains "$ERR" 'line1\nline2'
expect_exit 4 certctl import badsan --cert badsan.pem --key badsan.key
assert_contains "$ERR" "subjectAltName DNS"
assert_eq "$(vault_digest)" "$before" "vault after refused imports"
expect_exit 4 certctl create ctl --domain $'evil\nname.example'
assert_contains "$ERR" 'evil\nname.example'
expect_exit 4 certctl create ctl --domain $'esc\033[31m.example'
assert_contains "$ERR" 'esc\x1b[31m.example'
cd - >/dev/null

step "deploy paths: {domain} and {name} never leave the target directory"
# A record stored before names from certificates were checked: its domain climbs out.
rec=$CERTCTL_VAULT/certs/web/record.toml
cp -p "$rec" "$W/record.toml.saved"
sed -i "s|^domain = .*|domain = '../../escaped'|" "$rec"
mkdir -p "$W/dep/a/b"
expect_ok certctl deploy add t --record web --key "$W/dep/a/b/{domain}/key.pem" --cert "$W/dep/a/b/{name}/cert.pem"
expect_ok certctl deploy run web
[[ ! -e $W/dep/escaped && ! -e $W/escaped ]] || fail "a deploy path left its directory: $(find "$W/dep" "$W/escaped" 2>/dev/null)"
assert_eq "$(find "$W/dep" -name key.pem | wc -l)" 1 "deployed keys"
assert_contains "$(find "$W/dep" -name key.pem)" "$W/dep/a/b/" "where the key went"
[[ -f $W/dep/a/b/web/cert.pem ]] || fail "{name} was not filled in"
pass
expect_ok certctl deploy remove t
cp -p "$W/record.toml.saved" "$rec"

step "imports that should not pass: weak RSA, a CA certificate as the leaf, junk after the PEM"
cd "$W"
openssl req -x509 -newkey rsa:1024 -nodes -keyout rsa1024.key -out rsa1024.pem -subj "/CN=weak.example" -days 30 \
  2>/dev/null || fail "openssl could not make an RSA-1024 certificate"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
  -subj "/CN=Robust Root" -days 30 -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null || fail "root"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key -out inter.csr \
  -subj "/CN=inter.example" 2>/dev/null || fail "intermediate CSR"
printf 'basicConstraints=critical,CA:TRUE\nsubjectAltName=DNS:inter.example\n' >inter.ext
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -days 20 -extfile inter.ext -out inter.pem \
  2>/dev/null || fail "intermediate"
mkcert ok '/CN=ok.example' -addext 'subjectAltName=DNS:ok.example'
before=$(vault_digest)
expect_exit 4 certctl import weak --cert rsa1024.pem --key rsa1024.key
assert_contains "$ERR" "certctl: rsa1024.key: "
assert_contains "$ERR" "2048"
expect_exit 4 certctl import inter --cert inter.pem --key inter.key --chain root.pem
assert_contains "$ERR" "certctl: inter.pem: "
assert_contains "$ERR" "CA:TRUE"
{ cat ok.pem; head -c $((3 << 20)) /dev/zero | tr '\0' 'j'; } >junk3m.pem
expect_exit 4 certctl import junk --cert junk3m.pem --key ok.key
assert_contains "$ERR" "certctl: junk3m.pem: "
assert_contains "$ERR" "after the last PEM block"
{ cat ok.pem; head -c $((10 << 20)) /dev/zero | tr '\0' 'j'; } >junk10m.pem
expect_exit 4 certctl import junk --cert junk10m.pem --key ok.key
assert_contains "$ERR" "certctl: junk10m.pem: "
{ cat ok.key; head -c 5000 /dev/zero | tr '\0' 'k'; } >junk.key
expect_exit 4 certctl import junk --cert ok.pem --key junk.key
assert_contains "$ERR" "certctl: junk.key: "
assert_eq "$(vault_digest)" "$before" "vault after refused imports"
{ cat ok.pem; printf '\n# exported by some tool\n\n'; } >small-trailer.pem
expect_ok certctl import okay --cert small-trailer.pem --key ok.key
cd - >/dev/null

step "permissions inside the vault: what others could have written is refused, naming it"
certs=$CERTCTL_VAULT/certs
refused() {  # refused WHAT PATH cmd...: exit 5 naming PATH
  local what=$1 path=$2
  shift 2
  expect_exit 5 "$@"
  assert_contains "$ERR" "$path" "$what"
}
chmod 0777 "$certs/web"
refused "a 0777 record directory" "$certs/web" certctl show web
refused "a 0777 record directory" "$certs/web" certctl show web --pem cert
chmod 0700 "$certs/web"
chmod 0666 "$certs/web/record.toml"
refused "a 0666 record.toml" "$certs/web/record.toml" certctl show web
refused "a 0666 record.toml" "$certs/web/record.toml" certctl list
assert_contains "$OUT" "okay" "list of the other records"
chmod 0600 "$certs/web/record.toml"
chmod 0666 "$certs/web/v1/key.enc"
refused "a 0666 key.enc" "$certs/web/v1/key.enc" certctl show web --pem key
chmod 0600 "$certs/web/v1/key.enc"
chown 65534 "$certs/web/record.toml"
refused "a foreign record.toml" "$certs/web/record.toml" certctl show web
assert_contains "$ERR" "owned by uid 65534"
chown "$(id -u)" "$certs/web/record.toml"
ln -s "$certs/web" "$certs/alias"
refused "a symlinked record directory" "$certs/alias" certctl show alias
refused "a symlinked record directory" "$certs/alias" certctl list
rm "$certs/alias"
expect_ok certctl list
chmod 0666 "$CERTCTL_VAULT/cache/records.bin"
refused "a 0666 record cache" "$CERTCTL_VAULT/cache/records.bin" certctl list
chmod 0600 "$CERTCTL_VAULT/cache/records.bin"
expect_ok certctl deploy add hooked --record web --hook true
chmod 0666 "$CERTCTL_VAULT/deploy/hooked.toml"
refused "a 0666 deploy target" "$CERTCTL_VAULT/deploy/hooked.toml" certctl deploy run web
chmod 0600 "$CERTCTL_VAULT/deploy/hooked.toml"
expect_ok certctl deploy run web
expect_ok certctl show web
