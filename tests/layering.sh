#!/usr/bin/env bash
# Which module may include which: the layering in ARCHITECTURE.md, checked on the sources.
# Every library's compiler sees all of include/, so a wrong-way #include would compile (and
# link, for a header-only type); this test is what stops it. It also keeps the heavy
# third-party headers in the files ARCHITECTURE.md names.
set -euo pipefail
cd "${CERTCTL_SOURCE_DIR:-$(dirname "$0")/..}"

# The module each public header belongs to.
declare -A OWNER=(
  [error]=core [result]=core [clock]=core [domain]=core [fs]=core [interrupt]=core
  [number]=core [process]=core [trace]=core [secret]=core [terminal]=core [unique_fd]=core [overloaded]=core
  [crypto]=crypto [device_seal]=crypto [jwk_key]=crypto [cert_file]=crypto [http]=http [tls_probe]=http [dns]=dns [challenge]=challenge [acme]=acme [acme_status]=acme
  [record]=vault [record_fields]=vault [policy]=vault [vault]=vault [vault_copy]=vault [migrate]=lifecycle [deploy_results]=vault [storage]=storage [pg_store]=storage
  [ca]=ca [lifecycle]=lifecycle [output]=output [report]=output
)
# The modules whose headers each module may include (besides its own).
declare -A MAY=(
  [core]=""
  [crypto]="core"
  [http]="core"
  [dns]="http crypto core"
  [challenge]="dns http crypto core"
  [acme]="http crypto core"
  [storage]="core"
  [vault]="storage crypto core"
  [ca]="vault storage acme challenge dns http crypto core"
  [lifecycle]="ca vault storage acme challenge dns http crypto core"
  [output]="lifecycle ca vault storage acme challenge dns http crypto core"
  [cli]="output lifecycle ca vault storage acme challenge dns http crypto core"
)
# Third-party headers and the only places that may include them.
declare -A HEAVY=(
  ['nlohmann/']='^src/(acme/(jose\.cpp|json\.hpp)|dns/http_api\.hpp|lifecycle/(notify|network_wire|migrate_certbot|migrate_lego)\.cpp|output/json\.cpp|vault/(journal|named_config|deploy_results)\.cpp|ca/profiles\.cpp)$'
  ['toml++/']='^src/(vault/((record_toml|vault_config|named_config|policy_toml)\.cpp|toml_parse\.hpp)|ca/profiles\.cpp)$'
  ['CLI/']='^src/(cli/.*|main\.cpp)$'
  ['ldns/']='^src/dns/'
  ['httplib.h']='^src/dns/'
  ['libpq-fe.h']='^src/storage/pg_conn\.hpp$'
)

fail=0
module_of() {  # path -> module
  case "$1" in
    include/certctl/*) local h; h=$(basename "$1" .hpp); echo "${OWNER[$h]:-?}" ;;
    src/main.cpp) echo cli ;;
    src/*) local m=${1#src/}; echo "${m%%/*}" ;;
  esac
}
while IFS= read -r f; do
  mod=$(module_of "$f")
  if [ "$mod" = "?" ]; then echo "layering: $f: header has no module in tests/layering.sh" >&2; fail=1; continue; fi
  while IFS= read -r inc; do
    dep_mod=""
    case "$inc" in
      '<certctl/'*) h=${inc#<certctl/}; h=${h%.hpp>}; dep_mod=${OWNER[$h]:-?} ;;
      '"'*/*'"') p=${inc#\"}; dep_mod=${p%%/*} ;;
      *) continue ;;
    esac
    if [ "$dep_mod" = "?" ]; then echo "layering: $f includes $inc, which has no module" >&2; fail=1; continue; fi
    [ "$dep_mod" = "$mod" ] && continue
    case " ${MAY[$mod]} " in *" $dep_mod "*) ;; *)
      echo "layering: $f ($mod) may not include $inc ($dep_mod)" >&2; fail=1 ;;
    esac
  done < <(sed -n 's/^#include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$f" | grep -E '^(<certctl/|")' || true)
  for lib in "${!HEAVY[@]}"; do
    if grep -q "^#include[[:space:]]*<${lib//+/\\+}" "$f" && ! [[ "$f" =~ ${HEAVY[$lib]} ]]; then
      echo "layering: $f includes ${lib}, allowed only in ${HEAVY[$lib]}" >&2; fail=1
    fi
  done
done < <(git ls-files --cached --others --exclude-standard 'include/certctl/*.hpp' 'src/*.cpp' 'src/*.hpp' 2>/dev/null || find include src -name '*.[ch]pp')
[ "$fail" = 0 ] && echo "layering: ok"
exit "$fail"
