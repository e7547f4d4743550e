#!/usr/bin/env bash
# A certctl dns-01 exec hook: publishes and removes the _acme-challenge TXT records with
# nsupdate (RFC 2136 dynamic updates signed with a TSIG key), for zones served by BIND, Knot,
# PowerDNS or any other server that accepts signed updates. A template: copy it, set the
# defaults below, and use it with
#
#   certctl issue NAME --dns exec:/usr/local/bin/dns-hook.sh
#
# certctl runs it without a shell, stdin from /dev/null, 60 seconds per run, as
#
#   dns-hook.sh present _acme-challenge.example.com. VALUE     before validation
#   dns-hook.sh cleanup _acme-challenge.example.com. VALUE     after it
#
# with the same values in CERTCTL_ACTION, CERTCTL_FQDN and CERTCTL_VALUE (and CERTCTL_DOMAIN,
# CERTCTL_TOKEN). Exit status 0 means done; anything else fails the issue, and certctl quotes
# the last line written here. `present` returns only once the primary server answers with the
# new value, because certctl asks the CA to validate as soon as it returns. A name and its
# wildcard (example.com and *.example.com) share one record name with two values, so
# `present` adds a value and `cleanup` deletes only its own.
#
# Needs nsupdate and dig (Debian: bind9-dnsutils). Settings (environment, or edit here):
#   DNS_HOOK_SERVER    the primary server that takes updates (required)
#   DNS_HOOK_PORT      its port (53)
#   DNS_HOOK_KEY_FILE  the TSIG key for nsupdate -k, e.g. from `tsig-keygen certctl`; not
#                      readable by group or others (/etc/certctl/dns-hook.key)
#   DNS_HOOK_ZONE      the zone to update; empty: nsupdate finds it from the SOA
#   DNS_HOOK_TTL       TTL of the TXT records (60)
#   DNS_HOOK_WAIT      seconds `present` waits for the server to answer with the value (40;
#                      keep it below certctl's 60)
#   DNS_HOOK_PATH      PATH for nsupdate and dig (/usr/sbin:/usr/bin:/sbin:/bin)
# The environment reaches the hook through certctl, so `DNS_HOOK_SERVER=ns1.example.com
# certctl issue ...` works; for unattended renewals, set the defaults here instead.
set -euo pipefail
umask 077
export LC_ALL=C

server=${DNS_HOOK_SERVER:-}
port=${DNS_HOOK_PORT:-53}
key_file=${DNS_HOOK_KEY_FILE:-/etc/certctl/dns-hook.key}
zone=${DNS_HOOK_ZONE:-}
ttl=${DNS_HOOK_TTL:-60}
wait_s=${DNS_HOOK_WAIT:-40}
PATH=${DNS_HOOK_PATH:-/usr/sbin:/usr/bin:/sbin:/bin}

die() {  # die STATUS MESSAGE: the message is the last line certctl shows
  printf 'dns-hook: %s\n' "$2" >&2
  exit "$1"
}
# A value for a message: anything but [A-Za-z0-9._:-] shown as '?', at most 80 characters.
shown() {
  local s=${1:0:80}
  printf '%s' "${s//[^A-Za-z0-9._:-]/?}"
}

# --- the arguments: exactly what certctl sends, nothing else ----------------------------
(($# == 3)) || die 2 "usage: $0 present|cleanup _acme-challenge.NAME. VALUE (got $# arguments)"
action=$1 fqdn=$2 value=$3
case $action in
  present | cleanup) ;;
  *) die 2 "unknown action '$(shown "$action")' (present or cleanup)" ;;
esac
# A fully qualified _acme-challenge name: dot-separated labels of 1-63 letters, digits, '-'
# or '_', with the trailing dot; at most 254 characters.
label='[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
[[ ${#fqdn} -le 254 && $fqdn =~ ^_acme-challenge\.($label\.)+$ ]] ||
  die 2 "refusing record name '$(shown "$fqdn")': not _acme-challenge.NAME. with a trailing dot"
# The TXT value is base64url(SHA-256(...)): 43 characters of [A-Za-z0-9_-].
[[ $value =~ ^[A-Za-z0-9_-]{43}$ ]] || die 2 "refusing TXT value '$(shown "$value")': not 43 base64url characters"
# When certctl runs the hook, its variables must say the same.
for pair in "CERTCTL_ACTION:$action" "CERTCTL_FQDN:$fqdn" "CERTCTL_VALUE:$value"; do
  var=${pair%%:*}
  [[ -z ${!var+x} || ${!var} == "${pair#*:}" ]] || die 2 "$var does not match the arguments"
done

# --- the settings -----------------------------------------------------------------------
[[ -n $server ]] || die 3 "DNS_HOOK_SERVER is not set: the primary name server that takes updates"
[[ $server =~ ^[A-Za-z0-9.:_-]+$ ]] || die 3 "DNS_HOOK_SERVER '$(shown "$server")' is not a host name or address"
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || ((10#$port < 1 || 10#$port > 65535)); then
  die 3 "DNS_HOOK_PORT '$(shown "$port")' is not a port"
fi
[[ -z $zone || $zone =~ ^($label\.)*$label\.?$ ]] || die 3 "DNS_HOOK_ZONE '$(shown "$zone")' is not a zone name"
[[ $ttl =~ ^[0-9]{1,6}$ ]] || die 3 "DNS_HOOK_TTL '$(shown "$ttl")' is not a number of seconds"
[[ $wait_s =~ ^[0-9]{1,3}$ ]] || die 3 "DNS_HOOK_WAIT '$(shown "$wait_s")' is not a number of seconds"
command -v nsupdate >/dev/null || die 3 "nsupdate not found in $PATH (Debian: bind9-dnsutils)"
command -v dig >/dev/null || die 3 "dig not found in $PATH (Debian: bind9-dnsutils)"
command -v stat >/dev/null || die 3 "stat not found in $PATH"
[[ -f $key_file && -r $key_file ]] || die 3 "cannot read the TSIG key file $key_file"
[[ $(stat -L -c %a "$key_file") =~ [0-7][0-4][0]$ ]] ||
  die 3 "the TSIG key file $key_file is readable by others: chmod 600 (or 640) it"

# --- the update -------------------------------------------------------------------------
case $action in
  present) change="update add $fqdn $ttl IN TXT \"$value\"" ;;
  cleanup) change="update delete $fqdn IN TXT \"$value\"" ;;  # only this value
esac
script="server $server $port
${zone:+zone $zone
}$change
send
"
out=$(printf '%s' "$script" | nsupdate -k "$key_file" -t 15 2>&1) ||
  die 1 "nsupdate $action $fqdn at $server failed: $(printf '%s' "$out" | tr '\n' ' ')"

# --- present: wait until the primary answers with the value -----------------------------
if [[ $action == present ]]; then
  deadline=$((SECONDS + wait_s))
  while :; do
    answer=$(dig +short +norecurse +time=2 +tries=1 -p "$port" TXT "$fqdn" "@$server" 2>/dev/null || true)
    grep -qxF "\"$value\"" <<<"$answer" && break
    ((SECONDS < deadline)) || die 4 "$server does not answer $fqdn TXT \"$value\" after ${wait_s} s"
    sleep 2
  done
fi
printf 'dns-hook: %s %s\n' "$action" "$fqdn"
