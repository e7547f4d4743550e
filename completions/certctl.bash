# bash completion for certctl                                      -*- shell-script -*-
# Install as /usr/share/bash-completion/completions/certctl, or source it from ~/.bashrc.
# Needs nothing from the bash-completion package.

_certctl_commands='init vault ca account create edit csr issue import list ls show export export-pfx
  renew check revoke delete rm orders report audit policy notify deploy dns host agent migrate discover help'
_certctl_global_opts='--vault --vault-schema --host --passphrase-file --key-file --no-color -q
  --quiet -v --verbose --debug --log-file --dns-resolver --responder-user -h --help'
_certctl_record_opts='--domain -d --san --key-type --ca --renew-days --org --ou --country --state
  --locality --email --key-policy'
_certctl_challenge_opts='--challenge --dns --webroot --http-hook --http-address --http-port --tls-port
  --profile --preferred-chain --fallback --propagation-wait --no-propagation-check --propagation-check'
# Options that take a value (--version does only after show, export and export-pfx).
_certctl_value_opts='--vault --vault-schema --host --passphrase-file --key-file --log-file --generate-key-file --scrypt-n
  --new-passphrase-file --new-key-file --cn --key-type --days --out --domain -d --san --ca
  --renew-days --org --ou --country --state --locality --email --csr-file --cert --key --chain
  --status --expiring-within --pem --dir --password-file --friendly-name --directory --ca-bundle
  --eab-kid --eab-hmac-file --tech-zone --profile --challenge --dns --webroot --http-hook --propagation-wait --http-address
  --http-port --tls-port --preferred-chain --fallback --reason --parallel --jitter --lease-ttl --warn-days
  --crit-days --prometheus --key-policy --hosts --labels --interval --server --path --deploy-dir --deploy-owner --deploy-hook --pre-hook --post-hook
  --webhook --smtp --from --to --smtp-user --smtp-password-env --on --expiring-days
  --record --fullchain --mode --key-mode --owner --hook --dns-resolver --responder-user --provider --server
  --key-name --algorithm --tsig-secret-env --tsig-secret-file --zone --api-url --server-id
  --api-key-env --api-key-file --api-token-env --api-token-file --zone-id --username
  --password-env --password-file --subdomain --command --hook-timeout
  --access-key-id --secret-access-key-env --secret-access-key-file --session-token-env
  --session-token-file --profile --hosted-zone-id --private-zone --service-account-key-env
  --service-account-key-file --project --tenant-id --client-id --client-secret-env
  --client-secret-file --subscription-id --resource-group --login-url --application-key
  --application-secret-env --application-secret-file --consumer-key-env --consumer-key-file
  --endpoint --access-key-secret-env --access-key-secret-file --min-ttl --api-secret-env
  --api-secret-file --secret-api-key-env --secret-api-key-file --ttl --timeout --staging
  --public-key
  --labels --source --file --sni'
# The built-in CA profiles, for when the vault cannot be asked.
_certctl_builtin_cas='local letsencrypt letsencrypt-staging zerossl google google-staging buypass
  buypass-staging'

# Run certctl on the vault the command line points at (never prompts: stdin is /dev/null).
# A --vault-schema given on the command line is in $vault_schema (a local of _certctl).
_certctl_run() {  # _certctl_run PROG VAULT ARGS...
  local prog=$1 vault=$2
  local -a global=()
  shift 2
  # shellcheck disable=SC2088 # a literal "~/" typed on the command line
  [[ $vault == '~/'* ]] && vault=$HOME/${vault#'~/'}
  [[ -n $vault ]] && global+=(--vault "$vault")
  [[ -n ${vault_schema-} ]] && global+=(--vault-schema "$vault_schema")
  "$prog" "${global[@]}" "$@" </dev/null 2>/dev/null
}

# Record names.
_certctl_records() { _certctl_run "$1" "$2" list --names; }

# DNS providers stored with `dns add`: the NAME column of `certctl dns list`.
_certctl_dns_names() { _certctl_run "$1" "$2" dns list | awk 'NR > 1 { print $1 }'; }

# CA profile names: the "name" keys of `certctl ca list --json` (one per line, as certctl
# prints it), else the built-in list.
_certctl_cas() {
  local names
  names=$(_certctl_run "$1" "$2" ca list --json |
    sed -n 's/^ *"name": *"\([A-Za-z0-9._-]*\)",\{0,1\}$/\1/p')
  printf '%s\n' "${names:-$_certctl_builtin_cas}"
}

# CA profiles added to the vault (the ones `ca remove` takes).
_certctl_added_cas() {
  local n
  for n in $(_certctl_cas "$1" "$2"); do
    [[ " ${_certctl_builtin_cas//$'\n'/ } " == *" $n "* ]] || printf '%s\n' "$n"
  done
}

_certctl_compreply() {  # _certctl_compreply WORDS CUR (words without blanks)
  mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

_certctl() {
  local cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} prog=${COMP_WORDS[0]}
  local opt='' prefix='' i w
  COMPREPLY=()

  # The option whose value is being completed, if any. '=' is normally a word of its own;
  # without '=' in COMP_WORDBREAKS, --opt=value arrives as one word.
  if [[ $cur == --*=* ]]; then
    opt=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
  elif [[ $cur == '=' && ${COMP_WORDS[cword-1]} == --* ]]; then
    opt=${COMP_WORDS[cword-1]} cur=''
  elif ((cword >= 2)) && [[ ${COMP_WORDS[cword-1]} == '=' && ${COMP_WORDS[cword-2]} == --* ]]; then
    opt=${COMP_WORDS[cword-2]}
  fi

  # "--dns exec:PATH": ':' is normally a word of its own too, so the words are
  # --dns [=] exec : PATH. Complete PATH as a file.
  local before=${COMP_WORDS[cword-1]} dns_at=-1
  if [[ $cur == ':' && $before == exec ]]; then
    dns_at=$((cword - 2)) cur=''
  elif ((cword >= 3)) && [[ $before == ':' && ${COMP_WORDS[cword-2]} == exec ]]; then
    dns_at=$((cword - 3))
  fi
  if ((dns_at >= 1)); then
    [[ ${COMP_WORDS[dns_at]} == '=' ]] && ((dns_at--))
    if [[ ${COMP_WORDS[dns_at]} == --dns ]]; then
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      return 0
    fi
  fi

  # "--deploy-owner USER:GROUP", split the same way: complete GROUP.
  local own_at=-1
  if [[ $cur == ':' ]]; then
    own_at=$((cword - 2))
  elif ((cword >= 3)) && [[ $before == ':' ]]; then
    own_at=$((cword - 3))
  fi
  if ((own_at >= 1)); then
    [[ ${COMP_WORDS[own_at]} == '=' ]] && ((own_at--))
    if [[ ${COMP_WORDS[own_at]} == --deploy-owner ]]; then
      [[ $cur == ':' ]] && cur=''
      mapfile -t COMPREPLY < <(compgen -g -- "$cur")
      return 0
    fi
  fi

  # Walk the words before the cursor: positional words, --vault, --vault-schema, --replace,
  # and whether the previous word is an option waiting for its value. A ':' glues the next
  # word to the one before it (exec:PATH).
  local -a pos=()
  local vault='' vault_schema='' replace='' want='' glue=''
  for ((i = 1; i < cword; i++)); do
    w=${COMP_WORDS[i]}
    if [[ -n $glue ]]; then
      glue=''
      continue
    fi
    if [[ $w == ':' ]]; then
      glue=1
      continue
    fi
    if [[ -n $want ]]; then
      [[ $w == '=' ]] && continue
      [[ $want == --vault ]] && vault=$w
      [[ $want == --vault-schema ]] && vault_schema=$w
      want=''
      continue
    fi
    case $w in
      --vault=?*) vault=${w#--vault=} ;;
      --vault-schema=?*) vault_schema=${w#--vault-schema=} ;;
      --replace) replace=1 ;;
      --version)
        [[ ${pos[0]-} == show || ${pos[0]-} == export || ${pos[0]-} == export-pfx ]] && want=$w ;;
      -*)
        [[ " ${_certctl_value_opts//$'\n'/ } " == *" $w "* ]] && want=$w ;;
      *) pos+=("$w") ;;
    esac
  done
  [[ -z $opt && -n $want && $cur != '=' ]] && opt=$want
  [[ -z $opt && $cur == '=' ]] && cur=''

  if [[ -n $opt ]]; then
    case $opt in
      --vault | --dir | --webroot | --deploy-dir)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
      --passphrase-file | --key-file | --generate-key-file | --new-passphrase-file | \
        --new-key-file | --out | --csr-file | --cert | --key | --chain | --password-file | --file | \
        --ca-bundle | --eab-hmac-file | --prometheus | --public-key | --command | --http-hook | --tsig-secret-file | \
        --api-key-file | --api-token-file | --password-file | --log-file | \
        --secret-access-key-file | --session-token-file | --service-account-key-file | --client-secret-file | \
        --application-secret-file | --consumer-key-file | --access-key-secret-file | --api-secret-file | \
        --secret-api-key-file)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
      --key-type) _certctl_compreply 'rsa2048 rsa3072 rsa4096 ec256 ec384' "$cur" ;;
      --status) _certctl_compreply 'draft pending active expired error revoked' "$cur" ;;
      --source) _certctl_compreply 'managed imported external-csr discovered' "$cur" ;;
      --pem) _certctl_compreply 'cert chain fullchain csr key' "$cur" ;;
      --challenge) _certctl_compreply 'http-01 dns-01 tls-alpn-01' "$cur" ;;
      --jitter) _certctl_compreply '0 90s 15m 30m 1h 2h' "$cur" ;;
      --lease-ttl) _certctl_compreply '60 300 600 1800 3600' "$cur" ;;
      --host) _certctl_compreply "$(hostname 2>/dev/null)" "$cur" ;;
      --deploy-owner)  # USER[:GROUP], when ':' is not a word break
        if [[ $cur == *:* ]]; then
          mapfile -t COMPREPLY < <(compgen -g -- "${cur#*:}")
          COMPREPLY=("${COMPREPLY[@]/#/${cur%%:*}:}")
        else
          mapfile -t COMPREPLY < <(compgen -u -- "$cur")
        fi ;;
      --deploy-hook | --pre-hook | --post-hook)  # a shell command: its first word
        [[ $cur != *' '* ]] && mapfile -t COMPREPLY < <(compgen -c -- "$cur") ;;
      --reason)
        _certctl_compreply 'unspecified keyCompromise cACompromise affiliationChanged superseded
          cessationOfOperation' "$cur" ;;
      --dns)
        if [[ $cur == exec:* ]]; then  # ':' is not in COMP_WORDBREAKS
          compopt -o filenames 2>/dev/null
          mapfile -t COMPREPLY < <(compgen -f -- "${cur#exec:}")
          COMPREPLY=("${COMPREPLY[@]/#/exec:}")
        else
          _certctl_compreply "manual exec: $(_certctl_dns_names "$prog" "$vault")" "$cur"
          [[ ${COMPREPLY[*]} == exec: ]] && compopt -o nospace 2>/dev/null
        fi ;;
      --ca) _certctl_compreply "$(_certctl_cas "$prog" "$vault")" "$cur" ;;
      --provider) _certctl_compreply 'rfc2136 powerdns cloudflare route53 gcloud azure digitalocean hetzner ovh gandi linode aliyun godaddy porkbun desec acme-dns httpreq exec' "$cur" ;;  # dns add
      --algorithm) _certctl_compreply 'hmac-sha256 hmac-sha512 hmac-sha384 hmac-sha224 hmac-sha1' "$cur" ;;
      --fallback)  # CA[,CA...]: complete the name after the last comma
        local head=''
        [[ $cur == *,* ]] && head=${cur%,*},
        _certctl_compreply "$(_certctl_cas "$prog" "$vault")" "${cur##*,}"
        COMPREPLY=("${COMPREPLY[@]/#/$head}") ;;
    esac
    [[ -n $prefix ]] && COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
    return 0
  fi

  local opts='' words=''
  case ${pos[0]-} in
    '')
      opts="$_certctl_global_opts --version"
      words=$_certctl_commands ;;
    init) opts='--generate-key-file --scrypt-n' ;;
    audit)
      case ${pos[1]-} in
        '') words='verify'; opts='--json --since --action --record' ;;
        verify) opts='--json' ;;
      esac ;;
    policy)
      case ${pos[1]-} in
        '') words='set show check' ;;
        set) opts='--allow-name --deny-name --allow-ca --key-types --min-rsa-bits --min-ec-bits --max-local-days
          --require-subject --wildcard --soft --hard --clear --reset' ;;
        show) opts='--json' ;;
        check) opts='--domain -d --san --key-type --ca --renew-days --org --ou --country --state --locality --email --key-policy --days --json' ;;
      esac ;;
    vault)
      case ${pos[1]-} in
        '') words='rekey info copy' ;;
        rekey) opts='--new-passphrase-file --new-key-file --scrypt-n' ;;
        info) opts='--json' ;;
        copy) opts='--to --to-schema' ;;
      esac ;;
    ca)
      case ${pos[1]-}/${pos[2]-} in
        /) words='add list show remove local' ;;
        add/*) opts='--directory --ca-bundle --eab-kid --eab-hmac-file --tech-zone
          --allow-wildcard --profile --staging' ;;
        list/*) opts='--json' ;;
        show/*)
          opts='--json'
          ((${#pos[@]} == 2)) && words=$(_certctl_cas "$prog" "$vault") ;;
        remove/*)
          opts='--yes -y'
          ((${#pos[@]} == 2)) && words=$(_certctl_added_cas "$prog" "$vault") ;;
        local/) words='init rotate show export-root crl' ;;
        local/init) opts='--cn --key-type --days --intermediate-days --permit --exclude --json' ;;
        local/rotate) opts='--intermediate --root --overlap --days --intermediate-days --json' ;;
        local/show) opts='--json' ;;
        local/export-root | local/crl) opts='--all --out' ;;
      esac ;;
    account)
      case ${pos[1]-} in
        '') words='register show update key-rollover deactivate' ;;
        register) opts='--ca --email --agree-tos --eab-kid --eab-hmac-file --key-type' ;;
        show) opts='--ca --json' ;;
        update) opts='--ca --email' ;;
        key-rollover) opts='--ca' ;;
        deactivate) opts='--ca --yes -y' ;;
      esac ;;
    create) opts=$_certctl_record_opts ;;
    edit) opts="$_certctl_record_opts $_certctl_challenge_opts --deploy-dir --deploy-owner --deploy-hook" ;;
    csr) opts='--csr-file' ;;
    issue)
      opts="--ca --parallel --days --json --dry-run --domain -d --san --key-type $_certctl_challenge_opts
        --deploy-dir --deploy-owner --deploy-hook --email --agree-tos" ;;
    import) opts='--cert --key --chain --dir --renew-days --replace' ;;
    list | ls) opts='--status --source --expiring-within --json' ;;
    show) opts='--json --pem --version' ;;
    export) opts='--dir --version' ;;
    export-pfx) opts='--out --password-file --legacy --friendly-name --version' ;;
    renew)
      opts='--force --dry-run --json --jitter --parallel --lease-ttl --pre-hook --deploy-hook --post-hook
        --no-notify'
      # --reuse-key and --new-key exclude each other.
      [[ " ${COMP_WORDS[*]} " == *' --new-key '* ]] || opts="$opts --reuse-key"
      [[ " ${COMP_WORDS[*]} " == *' --reuse-key '* ]] || opts="$opts --new-key" ;;
    check) opts='--warn-days --crit-days --prometheus' ;;
    revoke) opts='--reason --yes -y' ;;
    delete | rm) opts='--yes -y' ;;
    orders) opts='--json' ;;
    report) opts='--html --days' ;;
    dns)
      case ${pos[1]-} in
        '') words='add list show remove test check' ;;
        add)
          opts='--provider --server --key-name --algorithm --tsig-secret-env --tsig-secret-file --zone
            --api-url --server-id --api-key-env --api-key-file --api-token-env --api-token-file
            --zone-id --username --password-env --password-file --subdomain --command --hook-timeout --ca-bundle
            --access-key-id --secret-access-key-env --secret-access-key-file --session-token-env
            --session-token-file --profile --hosted-zone-id --private-zone --service-account-key-env
            --service-account-key-file --project --tenant-id --client-id --client-secret-env
            --client-secret-file --subscription-id --resource-group --login-url --application-key
            --application-secret-env --application-secret-file --consumer-key-env
            --consumer-key-file --endpoint --access-key-secret-env --access-key-secret-file
            --min-ttl --api-secret-env --api-secret-file --secret-api-key-env --secret-api-key-file
            --tech-zone --ttl --timeout --propagation-wait --no-propagation-check' ;;
        list) opts='--json' ;;
        show | remove | test)
          [[ ${pos[1]} == show ]] && opts='--json'
          [[ ${pos[1]} == test ]] && opts='--domain'
          ((${#pos[@]} == 2)) && words=$(_certctl_dns_names "$prog" "$vault") ;;
        check)
          opts='--json'
          ((${#pos[@]} == 2)) && words=$(_certctl_records "$prog" "$vault") ;;
      esac ;;
    deploy)
      case ${pos[1]-} in
        '') words='add list remove run' ;;
        add) opts='--ca --record --cert --chain --fullchain --key --mode --key-mode --owner --hook
          --pre-hook --post-hook --hosts --labels' ;;
        list) opts='--json' ;;
        run) words=$(_certctl_records "$prog" "$vault") ;;
      esac ;;
    notify)
      case ${pos[1]-} in
        '') words='add list remove test' ;;
        add) opts='--webhook --smtp --starttls --from --to --smtp-user --smtp-password-env --ca-bundle
          --on --expiring-days' ;;
        list) opts='--json' ;;
        remove | test)
          ((${#pos[@]} == 2)) && words=$(_certctl_run "$prog" "$vault" notify list | awk 'NR > 1 { print $1 }') ;;
      esac ;;
    host)
      case ${pos[1]-} in
        '') words='add list remove sync' ;;
        add) opts='--public-key --labels' ;;
        list) opts='--json' ;;
        remove)
          opts='--yes -y'
          ((${#pos[@]} == 2)) && words=$(_certctl_run "$prog" "$vault" host list | awk 'NR > 1 { print $1 }') ;;
      esac ;;
    migrate)
      case ${pos[1]-} in
        '') words='certbot lego acme.sh' ;;
        certbot | lego | acme.sh)
          opts="--dry-run --ca-bundle $_certctl_challenge_opts --deploy-dir --deploy-owner --deploy-hook"
          [[ ${pos[1]} == lego ]] && opts="$opts --path --server"
          ((${#pos[@]} == 2)) && [[ $cur != -* ]] && { compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return; } ;;
      esac ;;
    discover)
      case ${pos[1]-} in
        '') words='tls files' ;;
        tls) opts='--file --sni --parallel --timeout --json' ;;
        files)
          opts='--json'
          [[ $cur != -* ]] && { compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return; } ;;
      esac ;;
    agent)
      case ${pos[1]-} in
        '') words='enroll'; opts='--once --key-file --interval' ;;
        enroll) opts='--key-file --force' ;;
      esac ;;
    help)
      case ${pos[1]-}/${pos[2]-} in
        /) words=$_certctl_commands ;;
        vault/) ((${#pos[@]} == 2)) && words='rekey info copy' ;;
        ca/) ((${#pos[@]} == 2)) && words='add list show remove local' ;;
        ca/local) ((${#pos[@]} == 3)) && words='init rotate show export-root crl' ;;
        account/) ((${#pos[@]} == 2)) && words='register show update key-rollover deactivate' ;;
        notify/) ((${#pos[@]} == 2)) && words='add list remove test' ;;
        deploy/) ((${#pos[@]} == 2)) && words='add list remove run' ;;
        dns/) ((${#pos[@]} == 2)) && words='add list show remove test check' ;;
        host/) ((${#pos[@]} == 2)) && words='add list remove sync' ;;
        agent/) ((${#pos[@]} == 2)) && words='enroll' ;;
        migrate/) ((${#pos[@]} == 2)) && words='certbot lego acme.sh' ;;
        discover/) ((${#pos[@]} == 2)) && words='tls files' ;;
      esac ;;
  esac
  [[ -n ${pos[0]-} && ${pos[0]-} != help ]] && opts="$opts $_certctl_global_opts"

  # Commands that take an existing record as their first argument (issue and renew take
  # several; issue also a new one with --domain).
  if [[ ( ${pos[0]-} == issue || ${pos[0]-} == renew ) && $cur != -* ]]; then
    words=$(_certctl_records "$prog" "$vault")
  elif ((${#pos[@]} == 1)) && [[ $cur != -* ]]; then
    case ${pos[0]-} in
      edit | csr | issue | show | export | export-pfx | revoke | delete | rm | orders)
        words=$(_certctl_records "$prog" "$vault") ;;
      import) [[ -n $replace ]] && words=$(_certctl_records "$prog" "$vault") ;;
    esac
  fi

  if [[ $cur == -* ]]; then
    _certctl_compreply "$opts" "$cur"
  else
    _certctl_compreply "$words" "$cur"
  fi
  return 0
}

complete -F _certctl certctl
