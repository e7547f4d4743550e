#!/usr/bin/env bash
# dns-01 over RFC 2136 (DNS UPDATE + TSIG) against BIND9 and Knot DNS, through
# certctl_dns_driver (tests/support/dns_driver.cpp): the rfc2136 provider, the resolver's SOA
# walk and CNAME following, the propagation wait, and the errors a user sees for a wrong key,
# an unknown zone, an unreachable server and a misspelt option. Every TXT assertion reads the
# server's real answer with dig.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_servers.sh"

# The driver: CERTCTL_DNS_DRIVER (set by ctest), else next to the binary's build tree.
DRIVER=${CERTCTL_DNS_DRIVER:-}
if [[ -z $DRIVER ]]; then
  for c in "$(dirname "$CERTCTL_BIN")/tests/certctl_dns_driver" "$(dirname "$CERTCTL_BIN")/certctl_dns_driver"; do
    [[ -x $c ]] && DRIVER=$c && break
  done
fi
[[ -n $DRIVER && -x $DRIVER ]] ||
  fail "certctl_dns_driver not found (set CERTCTL_DNS_DRIVER or build it: ninja -C build certctl_dns_driver)"

reserve_closed_port
CH=_acme-challenge.example.test.

# driver_failed CODE NEEDLE... : the last expect_exit printed one "certctl: ..." line naming each NEEDLE.
driver_failed() {
  assert_one_line_error
  local n
  for n in "$@"; do assert_contains "$ERR" "$n" "stderr"; done
}

# rfc2136_suite KIND SERVER KEY_NAME SECRET_VAR KEY_FILE OTHER_KEY_NAME OTHER_SECRET_VAR
rfc2136_suite() {
  local kind=$1 srv=$2 key=$3 secret_var=$4 keyfile=$5 other_key=$6 other_secret_var=$7
  local provider=(--type rfc2136 --name "$kind" --opt "server=$srv" --opt "key-name=$key"
    --secret "tsig-secret:env:$secret_var" --resolver "$srv")
  local t0=$SECONDS

  step "$kind: zone_of walks up by SOA, through an empty non-terminal, a name with data but no SOA, a delegation"
  expect_ok "$DRIVER" zone --fqdn _acme-challenge.deep.sub.example.test --resolver "$srv"
  assert_eq "$OUT" "example.test." "zone of _acme-challenge.deep.sub.example.test"
  expect_ok "$DRIVER" zone --fqdn Example.TEST --resolver "$srv"
  assert_eq "$OUT" "example.test." "zone of the apex itself"
  expect_ok "$DRIVER" zone --fqdn ns1.tech.test --resolver "$srv"
  assert_eq "$OUT" "tech.test." "zone of ns1.tech.test"
  expect_ok "$DRIVER" zone --fqdn _acme-challenge.child.example.test --resolver "$srv"
  assert_eq "$OUT" "child.example.test." "zone of a name below a delegation (a referral)"

  step "$kind: CNAMEs are followed from example.test into tech.test; loops are caught"
  expect_ok "$DRIVER" cname --fqdn _acme-challenge.delegated.example.test --resolver "$srv"
  assert_eq "$OUT" "_acme-challenge.delegated.tech.test." "CNAME target"
  expect_ok "$DRIVER" cname --fqdn "$CH" --resolver "$srv"
  assert_eq "$OUT" "$CH" "a name without a CNAME is its own target"
  expect_exit 8 "$DRIVER" cname --fqdn _acme-challenge.loop1.example.test --resolver "$srv"
  driver_failed "CNAME loop" "_acme-challenge.loop2.example.test."
  expect_ok "$DRIVER" cname --fqdn chain2.example.test --resolver "$srv"
  assert_eq "$OUT" "chain10.example.test." "end of a chain of 8 CNAMEs"
  expect_exit 8 "$DRIVER" cname --fqdn chain1.example.test --resolver "$srv"
  driver_failed "more than 8 CNAMEs" "chain1.example.test."

  step "$kind: present puts two values at one name next to an unrelated third"
  dns_nsupdate "$srv" "$keyfile" "zone example.test." "update add $CH 300 TXT unrelated-keep-me"
  assert_eq "$(dns_txt "$srv" "$CH")" "unrelated-keep-me" "TXT before present"
  expect_ok "$DRIVER" present "${provider[@]}" --fqdn "$CH" --value apex-value-1 --value wildcard-value-2 --ttl 123
  assert_eq "$OUT" "$CH example.test." "where present wrote"
  assert_eq "$(dns_txt "$srv" "$CH")" $'apex-value-1\nunrelated-keep-me\nwildcard-value-2' "TXT after present"
  local ttl
  ttl=$(dig +norecurse +noall +answer @127.0.0.1 -p "${srv##*:}" "$CH" TXT | awk '/apex-value-1/ {print $2}')
  assert_eq "$ttl" "123" "TTL of the presented record"
  expect_ok "$DRIVER" present "${provider[@]}" --fqdn "$CH" --value apex-value-1
  assert_eq "$(dns_txt "$srv" "$CH" | grep -c apex-value-1)" "1" "presenting again adds no duplicate"

  step "$kind: wait_propagation sees both values; a missing value times out naming server and name"
  expect_ok "$DRIVER" wait --fqdn "$CH" --value apex-value-1 --value wildcard-value-2 --resolver "$srv" --timeout 10
  assert_contains "$ERR" "propagated" "progress"
  local w0=$SECONDS
  expect_exit 8 "$DRIVER" wait --fqdn "$CH" --value apex-value-1 --value never-published --resolver "$srv" \
    --timeout 2 --interval 200 --quiet
  driver_failed "not served within 2 s" "$srv for $CH" "1 of 2 values missing"
  ((SECONDS - w0 <= 5)) || fail "a 2 s propagation timeout took $((SECONDS - w0)) s"

  step "$kind: cleanup removes exactly those values; the unrelated one survives; cleanup is repeatable"
  expect_ok "$DRIVER" cleanup "${provider[@]}" --fqdn "$CH" --value apex-value-1 --value wildcard-value-2
  assert_eq "$(dns_txt "$srv" "$CH")" "unrelated-keep-me" "TXT after cleanup"
  expect_ok "$DRIVER" cleanup "${provider[@]}" --fqdn "$CH" --value apex-value-1 --value wildcard-value-2
  assert_eq "$(dns_txt "$srv" "$CH")" "unrelated-keep-me" "TXT after a second cleanup"

  step "$kind: an answer too big for UDP (1232 bytes) is read again over TCP"
  local big=() args=() i
  for i in 1 2 3 4 5 6; do
    big+=("$i$(printf 'x%.0s' {1..250})")
    args+=(--value "${big[-1]}")
  done
  expect_ok "$DRIVER" present "${provider[@]}" --fqdn big.example.test "${args[@]}"
  dig +norecurse +ignore +bufsize=1232 @127.0.0.1 -p "${srv##*:}" big.example.test TXT | grep -q 'flags: qr aa tc' ||
    fail "$kind does not truncate the UDP answer for big.example.test; the TCP fallback is not exercised"
  expect_ok "$DRIVER" txt --fqdn big.example.test --resolver "$srv"
  assert_eq "$(sort <<<"$OUT")" "$(printf '%s\n' "${big[@]}" | sort)" "TXT values read back (TCP fallback)"
  expect_ok "$DRIVER" wait --fqdn big.example.test "${args[@]}" --resolver "$srv" --timeout 10
  expect_ok "$DRIVER" cleanup "${provider[@]}" --fqdn big.example.test "${args[@]}"
  assert_eq "$(dns_txt "$srv" big.example.test)" "" "big TXT set after cleanup"

  step "$kind: a CNAME into tech.test puts the record in tech.test"
  local deleg=_acme-challenge.delegated.example.test
  expect_ok "$DRIVER" present "${provider[@]}" --fqdn "$deleg" --value delegated-value
  assert_eq "$OUT" "_acme-challenge.delegated.tech.test. tech.test." "where present wrote"
  assert_eq "$(dns_txt "$srv" _acme-challenge.delegated.tech.test.)" "delegated-value" "TXT in tech.test"
  expect_ok "$DRIVER" wait --fqdn "$deleg" --value delegated-value --resolver "$srv" --timeout 10
  expect_ok "$DRIVER" cleanup "${provider[@]}" --fqdn "$deleg" --value delegated-value
  assert_eq "$(dns_txt "$srv" _acme-challenge.delegated.tech.test.)" "" "TXT in tech.test after cleanup"

  step "$kind: a wrong TSIG secret or key name is refused by the server, and nothing changes"
  expect_exit 8 "$DRIVER" present --type rfc2136 --opt "server=$srv" --opt "key-name=$key" \
    --secret tsig-secret:env:WRONG_SECRET --resolver "$srv" --fqdn "$CH" --value bad-key-value
  driver_failed "server $srv refused the update for zone example.test." "'$key'" "BADSIG"
  assert_not_contains "$ERR" "$WRONG_SECRET" "stderr"
  expect_exit 8 "$DRIVER" present --type rfc2136 --opt "server=$srv" --opt key-name=no-such-key \
    --secret "tsig-secret:env:$secret_var" --resolver "$srv" --fqdn "$CH" --value bad-key-value
  driver_failed "server $srv refused the update" "TSIG key 'no-such-key' not accepted (BADKEY)"
  assert_eq "$(dns_txt "$srv" "$CH")" "unrelated-keep-me" "TXT after refused updates"

  step "$kind: a key the server knows but that may not update, and an unsigned update, are refused"
  expect_exit 8 "$DRIVER" present --type rfc2136 --opt "server=$srv" --opt "key-name=$other_key" \
    --secret "tsig-secret:env:$other_secret_var" --resolver "$srv" --fqdn "$CH" --value other-key-value
  if [[ $kind == bind ]]; then
    driver_failed "server $srv refused the update for zone example.test. (REFUSED): key '$other_key' may not update it"
  else # Knot answers BADKEY for a key its ACL does not name
    driver_failed "server $srv refused the update for zone example.test.: TSIG key '$other_key' not accepted (BADKEY)"
  fi
  expect_exit 8 "$DRIVER" present --type rfc2136 --opt "server=$srv" --resolver "$srv" --fqdn "$CH" --value unsigned
  if [[ $kind == bind ]]; then
    driver_failed "server $srv refused the update for zone example.test. (REFUSED): unsigned updates are not allowed"
  else
    driver_failed "server $srv refused the update for zone example.test. (NOTAUTH)" "unsigned updates"
  fi
  assert_eq "$(dns_txt "$srv" "$CH")" "unrelated-keep-me" "TXT after refused updates"

  step "$kind: a name in no zone of the server, or a zone it does not serve"
  expect_exit 8 "$DRIVER" present "${provider[@]}" --fqdn _acme-challenge.nope.test --value v
  driver_failed "_acme-challenge.nope.test." "no zone found" "$srv"
  expect_exit 8 "$DRIVER" present "${provider[@]}" --opt zone=nope.test --fqdn _acme-challenge.nope.test --value v
  driver_failed "server $srv refused the update for zone nope.test. (NOTAUTH)"

  dns_nsupdate "$srv" "$keyfile" "zone example.test." "update delete $CH TXT"
  assert_eq "$(dns_txt "$srv" "$CH")" "" "TXT after removing the unrelated value"
  echo "    $kind suite: $((SECONDS - t0)) s"
}

step "start BIND9 and Knot"
bind_start
knot_start
WRONG_SECRET=$(openssl rand -base64 32)
export WRONG_SECRET BIND_KEY_SECRET KNOT_KEY_SECRET

rfc2136_suite bind "$BIND_SERVER" "$BIND_KEY_NAME" BIND_KEY_SECRET "$BIND_KEY_FILE" \
  "$BIND_OTHER_KEY_NAME" BIND_OTHER_KEY_SECRET
rfc2136_suite knot "$KNOT_SERVER" "$KNOT_KEY_NAME" KNOT_KEY_SECRET "$KNOT_KEY_FILE" \
  "$KNOT_OTHER_KEY_NAME" KNOT_OTHER_KEY_SECRET

step "an unreachable server fails fast with one line naming it"
t0=$SECONDS
expect_exit 6 "$DRIVER" present --type rfc2136 --opt "server=127.0.0.1:$CLOSED_PORT" --opt zone=example.test \
  --fqdn "$CH" --value v --resolver "$BIND_SERVER"
driver_failed "DNS server 127.0.0.1:$CLOSED_PORT" "connection refused" "UPDATE for zone example.test."
expect_exit 6 "$DRIVER" zone --fqdn "$CH" --resolver "127.0.0.1:$CLOSED_PORT"
driver_failed "DNS server 127.0.0.1:$CLOSED_PORT" "SOA query"
((SECONDS - t0 <= 3)) || fail "failing against a closed port took $((SECONDS - t0)) s"

step "a server that never answers times out within the query timeout and its retries"
reserve_silent_port
t0=$SECONDS
expect_exit 6 "$DRIVER" zone --fqdn "$CH" --resolver "127.0.0.1:$SILENT_PORT" --query-timeout 300
driver_failed "DNS server 127.0.0.1:$SILENT_PORT" "no answer to the SOA query for $CH within 0.9 s (3 tries)"
((SECONDS - t0 <= 3)) || fail "3 tries of 300 ms took $((SECONDS - t0)) s"

step "usage errors: unknown option, unknown type, missing option, unset secret variable, bad server"
expect_exit 2 "$DRIVER" present --type rfc2136 --opt "server=$BIND_SERVER" --opt sever=1 --fqdn "$CH" --value v
driver_failed "unknown option 'sever' for provider type rfc2136"
expect_exit 2 "$DRIVER" present --type bind9 --opt "server=$BIND_SERVER" --fqdn "$CH" --value v
driver_failed "unknown provider type 'bind9'" "rfc2136"
expect_exit 2 "$DRIVER" present --type rfc2136 --opt "key-name=$BIND_KEY_NAME" --fqdn "$CH" --value v
driver_failed "needs option 'server'"
expect_exit 2 "$DRIVER" present --type rfc2136 --opt "server=$BIND_SERVER" --opt "key-name=$BIND_KEY_NAME" \
  --secret tsig-secret:env:CERTCTL_TEST_UNSET_VARIABLE --fqdn "$CH" --value v
driver_failed "CERTCTL_TEST_UNSET_VARIABLE is not set"
expect_exit 2 "$DRIVER" present --type rfc2136 --opt server=ns1.example.test --fqdn "$CH" --value v
driver_failed "option 'server'" "not a DNS server"

bind_stop
knot_stop
