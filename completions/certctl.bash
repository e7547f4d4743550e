# bash completion for certctl                                      -*- shell-script -*-
# Install as /usr/share/bash-completion/completions/certctl, or source it from ~/.bashrc.
# Needs nothing from the bash-completion package.

_certctl_commands='init vault ca create edit csr issue import list show export export-pfx delete help'
_certctl_global_opts='--vault --passphrase-file --key-file --no-color -q --quiet -h --help'
_certctl_record_opts='--domain --san --key-type --ca --renew-days --org --ou --country --state --locality --email'
# Options that take a value (--version does only after show and export).
_certctl_value_opts='--vault --passphrase-file --key-file --generate-key-file --scrypt-n
  --new-passphrase-file --new-key-file --cn --key-type --days --out --domain --san --ca
  --renew-days --org --ou --country --state --locality --email --csr-file --cert --key --chain
  --status --expiring-within --pem --dir --password-file --friendly-name'

# Record names from the vault the command line points at.
_certctl_records() {
  local prog=$1 vault=$2
  # shellcheck disable=SC2088 # a literal "~/" typed on the command line
  [[ $vault == '~/'* ]] && vault=$HOME/${vault#'~/'}
  if [[ -n $vault ]]; then
    "$prog" --vault "$vault" list --names 2>/dev/null
  else
    "$prog" list --names 2>/dev/null
  fi
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

  # Walk the words before the cursor: positional words, --vault, --replace, and whether
  # the previous word is an option waiting for its value.
  local -a pos=()
  local vault='' replace='' want=''
  for ((i = 1; i < cword; i++)); do
    w=${COMP_WORDS[i]}
    if [[ -n $want ]]; then
      [[ $w == '=' ]] && continue
      [[ $want == --vault ]] && vault=$w
      want=''
      continue
    fi
    case $w in
      --vault=?*) vault=${w#--vault=} ;;
      --replace) replace=1 ;;
      --version)
        [[ ${pos[0]} == show || ${pos[0]} == export ]] && want=$w ;;
      -*)
        [[ " ${_certctl_value_opts//$'\n'/ } " == *" $w "* ]] && want=$w ;;
      *) pos+=("$w") ;;
    esac
  done
  [[ -z $opt && -n $want && $cur != '=' ]] && opt=$want
  [[ -z $opt && $cur == '=' ]] && cur=''

  if [[ -n $opt ]]; then
    case $opt in
      --vault | --dir)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
      --passphrase-file | --key-file | --generate-key-file | --new-passphrase-file | \
        --new-key-file | --out | --csr-file | --cert | --key | --chain | --password-file)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
      --key-type) _certctl_compreply 'rsa2048 rsa3072 rsa4096 ec256 ec384' "$cur" ;;
      --status) _certctl_compreply 'draft pending active expired error revoked' "$cur" ;;
      --pem) _certctl_compreply 'cert chain fullchain csr key' "$cur" ;;
      --ca) _certctl_compreply 'local' "$cur" ;;
    esac
    [[ -n $prefix ]] && COMPREPLY=("${COMPREPLY[@]/#/$prefix}")
    return 0
  fi

  local opts='' words=''
  case ${pos[0]} in
    '')
      opts="$_certctl_global_opts --version"
      words=$_certctl_commands ;;
    init) opts='--generate-key-file --scrypt-n' ;;
    vault)
      case ${pos[1]} in
        '') words='rekey info' ;;
        rekey) opts='--new-passphrase-file --new-key-file' ;;
        info) opts='--json' ;;
      esac ;;
    ca)
      case ${pos[1]}/${pos[2]} in
        /) words='local' ;;
        local/) words='init export-root' ;;
        local/init) opts='--cn --key-type --days --json' ;;
        local/export-root) opts='--out' ;;
      esac ;;
    create) opts=$_certctl_record_opts ;;
    edit) opts=$_certctl_record_opts ;;
    csr) opts='--csr-file' ;;
    issue) opts='--ca --days --json' ;;
    import) opts='--cert --key --chain --renew-days --replace' ;;
    list) opts='--status --expiring-within --json' ;;
    show) opts='--json --pem --version' ;;
    export) opts='--dir --version' ;;
    export-pfx) opts='--out --password-file --legacy --friendly-name' ;;
    delete) opts='--yes -y' ;;
    help) ((${#pos[@]} == 1)) && words=$_certctl_commands ;;
  esac
  [[ -n ${pos[0]} && ${pos[0]} != help ]] && opts="$opts $_certctl_global_opts"

  # Commands that take an existing record as their first argument.
  if ((${#pos[@]} == 1)) && [[ $cur != -* ]]; then
    case ${pos[0]} in
      edit | csr | issue | show | export | export-pfx | delete)
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
