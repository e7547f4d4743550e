# fish completion for certctl. Install as ~/.config/fish/completions/certctl.fish or in
# /usr/share/fish/vendor_completions.d/.

# The positional words before the cursor (command path and record name), without options
# and their values.
function __certctl_args
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l value_opts --vault --passphrase-file --key-file --generate-key-file --scrypt-n \
        --new-passphrase-file --new-key-file --cn --key-type --days --out --domain --san --ca \
        --renew-days --org --ou --country --state --locality --email --csr-file --cert --key \
        --chain --status --expiring-within --pem --dir --password-file --friendly-name
    set -l args
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        if contains -- $t $value_opts
            set skip 1
        else if test "$t" = --version; and contains -- "$args[1]" show export
            set skip 1
        else if not string match -q -- '-*' $t
            set -a args $t
        end
    end
    test (count $args) -gt 0; and printf '%s\n' $args
end

# True when the positional words so far are exactly the arguments.
function __certctl_path
    set -l args (__certctl_args)
    test (count $args) -eq (count $argv); or return 1
    for i in (seq (count $argv))
        test "$args[$i]" = "$argv[$i]"; or return 1
    end
end

# True when the command (first positional word) is one of the arguments.
function __certctl_cmd
    set -l args (__certctl_args)
    contains -- "$args[1]" $argv
end

# True when the next positional word is an existing record's name.
function __certctl_wants_record
    set -l args (__certctl_args)
    test (count $args) -eq 1; or return 1
    contains -- $args[1] edit csr issue show export export-pfx delete; and return 0
    test "$args[1]" = import; and contains -- --replace (commandline -opc)
end

# Record names from the vault the command line points at.
function __certctl_records
    set -l tokens (commandline -opc)
    set -l vault
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --vault
                set -l j (math $i + 1)
                test $j -le (count $tokens); and set vault --vault $tokens[$j]
            case '--vault=*'
                set vault --vault (string replace -- --vault= '' $tokens[$i])
        end
    end
    $tokens[1] $vault list --names 2>/dev/null
end

complete -c certctl -f

# Global options, before or after the command.
complete -c certctl -l vault -x -a '(__fish_complete_directories)' -d 'Vault directory'
complete -c certctl -l passphrase-file -r -F -d 'Read the vault passphrase from a file'
complete -c certctl -l key-file -r -F -d 'Unlock a vault created with a key file'
complete -c certctl -l no-color -d 'Do not colour the output'
complete -c certctl -s q -l quiet -d 'Print only results and errors'
complete -c certctl -s h -l help -d 'Show help'
complete -c certctl -n __certctl_path -l version -d 'Print the version'

# Commands.
set -l nocmd '__certctl_path'
complete -c certctl -n $nocmd -a init -d 'Create the vault'
complete -c certctl -n $nocmd -a vault -d 'Change the unlock secret or show vault information'
complete -c certctl -n $nocmd -a ca -d 'Manage the local CA'
complete -c certctl -n $nocmd -a create -d 'Save a draft record'
complete -c certctl -n $nocmd -a edit -d 'Change a record'
complete -c certctl -n $nocmd -a csr -d 'Generate the key and CSR, or adopt an external CSR'
complete -c certctl -n $nocmd -a issue -d "Issue a certificate from the record's CA"
complete -c certctl -n $nocmd -a import -d 'Import a certificate and key'
complete -c certctl -n $nocmd -a list -d 'List records'
complete -c certctl -n $nocmd -a show -d 'Show a record'
complete -c certctl -n $nocmd -a export -d 'Write PEM files'
complete -c certctl -n $nocmd -a export-pfx -d 'Write a PKCS#12 file'
complete -c certctl -n $nocmd -a delete -d 'Remove a record and its history'
complete -c certctl -n $nocmd -a help -d 'Show help for a command'

# help COMMAND
complete -c certctl -n '__certctl_path help' \
    -a 'init vault ca create edit csr issue import list show export export-pfx delete help'

# Record names.
complete -c certctl -n __certctl_wants_record -a '(__certctl_records)' -d Record

# init
complete -c certctl -n '__certctl_cmd init' -l generate-key-file -r -F -d 'Write a new random key file and unlock with it'
complete -c certctl -n '__certctl_cmd init' -l scrypt-n -x -d 'scrypt cost parameter N (a power of two)'

# vault rekey | info
complete -c certctl -n '__certctl_path vault' -a rekey -d 'Change the unlock secret'
complete -c certctl -n '__certctl_path vault' -a info -d 'Show vault information'
complete -c certctl -n '__certctl_path vault rekey' -l new-passphrase-file -r -F -d 'Read the new passphrase from a file'
complete -c certctl -n '__certctl_path vault rekey' -l new-key-file -r -F -d 'Unlock with this key file from now on'
complete -c certctl -n '__certctl_path vault info' -l json -d 'Print JSON'

# ca local init | export-root
complete -c certctl -n '__certctl_path ca' -a local -d "The vault's local CA"
complete -c certctl -n '__certctl_path ca local' -a init -d 'Create the local root CA'
complete -c certctl -n '__certctl_path ca local' -a export-root -d 'Print the root certificate'
complete -c certctl -n '__certctl_path ca local init' -l cn -x -d 'Common name of the root certificate'
complete -c certctl -n '__certctl_path ca local init' -l key-type -x -a 'rsa2048 rsa3072 rsa4096 ec256 ec384' -d 'Key type'
complete -c certctl -n '__certctl_path ca local init' -l days -x -d 'Validity in days'
complete -c certctl -n '__certctl_path ca local init' -l json -d 'Print the new root as JSON'
complete -c certctl -n '__certctl_path ca local export-root' -l out -r -F -d 'Write to a file'

# create, edit
set -l rec '__certctl_cmd create edit'
complete -c certctl -n $rec -l domain -x -d 'Primary domain'
complete -c certctl -n $rec -l san -x -d 'Additional subject alternative name'
complete -c certctl -n $rec -l key-type -x -a 'rsa2048 rsa3072 rsa4096 ec256 ec384' -d 'Key type'
complete -c certctl -n $rec -l ca -x -a local -d 'CA that issues the certificate'
complete -c certctl -n $rec -l renew-days -x -d 'Renew when this many days are left (0 = automatic)'
complete -c certctl -n $rec -l org -x -d 'Organization (O)'
complete -c certctl -n $rec -l ou -x -d 'Organizational unit (OU)'
complete -c certctl -n $rec -l country -x -d 'Country (C)'
complete -c certctl -n $rec -l state -x -d 'State or province (ST)'
complete -c certctl -n $rec -l locality -x -d 'Locality (L)'
complete -c certctl -n $rec -l email -x -d 'E-mail address'

# csr
complete -c certctl -n '__certctl_cmd csr' -l csr-file -r -F -d 'Adopt an external CSR'

# issue
complete -c certctl -n '__certctl_cmd issue' -l ca -x -a local -d 'Issue from this CA'
complete -c certctl -n '__certctl_cmd issue' -l days -x -d 'Validity in days'
complete -c certctl -n '__certctl_cmd issue' -l json -d 'Print the issued record as JSON'

# import
complete -c certctl -n '__certctl_cmd import' -l cert -r -F -d 'Certificate file (PEM or DER)'
complete -c certctl -n '__certctl_cmd import' -l key -r -F -d 'Private key file (PEM or DER)'
complete -c certctl -n '__certctl_cmd import' -l chain -r -F -d 'Intermediate certificates'
complete -c certctl -n '__certctl_cmd import' -l renew-days -x -d 'Renew when this many days are left (0 = automatic)'
complete -c certctl -n '__certctl_cmd import' -l replace -d 'Import a new version into an existing imported record'

# list
complete -c certctl -n '__certctl_cmd list' -l status -x -a 'draft pending active expired error revoked' -d 'Only records in this status'
complete -c certctl -n '__certctl_cmd list' -l expiring-within -x -d 'Only records expiring within DAYS days'
complete -c certctl -n '__certctl_cmd list' -l json -d 'Print JSON'

# show
complete -c certctl -n '__certctl_cmd show' -l json -d 'Print JSON'
complete -c certctl -n '__certctl_cmd show' -l pem -x -a 'cert chain fullchain csr key' -d 'Print one PEM item'
complete -c certctl -n '__certctl_cmd show' -l version -x -d 'Show a version from the history'

# export
complete -c certctl -n '__certctl_cmd export' -l dir -x -a '(__fish_complete_directories)' -d 'Output directory'
complete -c certctl -n '__certctl_cmd export' -l version -x -d 'Export a version from the history'

# export-pfx
complete -c certctl -n '__certctl_cmd export-pfx' -l out -r -F -d 'Output file'
complete -c certctl -n '__certctl_cmd export-pfx' -l password-file -r -F -d 'Read the PKCS#12 password from a file'
complete -c certctl -n '__certctl_cmd export-pfx' -l legacy -d 'PBE-SHA1-3DES and SHA-1 MAC for old Windows and Java'
complete -c certctl -n '__certctl_cmd export-pfx' -l friendly-name -x -d 'Friendly name'

# delete
complete -c certctl -n '__certctl_cmd delete' -l yes -d 'Do not ask for confirmation'
