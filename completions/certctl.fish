# fish completion for certctl. Install as ~/.config/fish/completions/certctl.fish or in
# /usr/share/fish/vendor_completions.d/.

# The positional words before the cursor (command path and record name), without options
# and their values.
function __certctl_args
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l value_opts --vault --vault-schema --host --passphrase-file --key-file --generate-key-file --scrypt-n \
        --new-passphrase-file --new-key-file --cn --key-type --days --out --domain -d --san --ca \
        --renew-days --org --ou --country --state --locality --email --csr-file --cert --key \
        --chain --status --expiring-within --pem --dir --password-file --friendly-name \
        --directory --ca-bundle --eab-kid --eab-hmac-file --tech-zone --profile --challenge \
        --dns --webroot --http-hook --propagation-wait --http-address --http-port --tls-port --preferred-chain --fallback \
        --reason --parallel --jitter --lease-ttl --warn-days --crit-days --prometheus --deploy-dir \
        --deploy-owner --deploy-hook --pre-hook --post-hook --key-policy --hosts --labels --interval --webhook --smtp --from --to \
        --smtp-user --smtp-password-env --on --expiring-days --record --fullchain --mode \
        --key-mode --owner --hook --dns-resolver --responder-user --provider --server --key-name --algorithm \
        --tsig-secret-env --tsig-secret-file --zone --api-url --server-id --api-key-env \
        --api-key-file --api-token-env --api-token-file --zone-id --username --password-env \
        --subdomain --ttl --timeout --staging --public-key --labels --source --file --sni
    set -l args
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        if contains -- $t $value_opts
            set skip 1
        else if test "$t" = --version; and contains -- "$args[1]" show export export-pfx
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

# True when the positional words so far start with the arguments (a command path).
function __certctl_under
    set -l args (__certctl_args)
    test (count $args) -ge (count $argv); or return 1
    for i in (seq (count $argv))
        test "$args[$i]" = "$argv[$i]"; or return 1
    end
end

# True when the command (first positional word) is one of the arguments.
function __certctl_cmd
    set -l args (__certctl_args)
    contains -- "$args[1]" $argv
end

# True when the next positional word is an existing record's name (issue and renew take
# several; issue also a new one with --domain).
function __certctl_wants_record
    set -l args (__certctl_args)
    contains -- "$args[1]" issue renew; and return 0
    test (count $args) -eq 1; or return 1
    contains -- $args[1] edit csr issue show export export-pfx revoke delete rm orders; and return 0
    test "$args[1]" = import; and contains -- --replace (commandline -opc)
end

# certctl, on the vault the command line points at (--vault, --vault-schema), with stdin from
# /dev/null (never prompts).
function __certctl_run
    set -l tokens (commandline -opc)
    set -l vault
    set -l schema
    for i in (seq 2 (count $tokens))
        set -l j (math $i + 1)
        switch $tokens[$i]
            case --vault
                test $j -le (count $tokens); and set vault --vault $tokens[$j]
            case '--vault=*'
                set vault --vault (string replace -- --vault= '' $tokens[$i])
            case --vault-schema
                test $j -le (count $tokens); and set schema --vault-schema $tokens[$j]
            case '--vault-schema=*'
                set schema --vault-schema (string replace -- --vault-schema= '' $tokens[$i])
        end
    end
    $tokens[1] $vault $schema $argv </dev/null 2>/dev/null
end

# Record names.
function __certctl_records
    __certctl_run list --names
end

# DNS providers stored with `dns add`: the NAME column of `certctl dns list`.
function __certctl_dns_providers
    __certctl_run dns list | tail -n +2 | string replace -r ' .*' ''
end

set -g __certctl_builtin_cas local letsencrypt letsencrypt-staging zerossl google google-staging \
    buypass buypass-staging

# CA profile names: the "name" keys of `certctl ca list --json` (one per line, as certctl
# prints it), else the built-in profiles.
function __certctl_cas
    set -l names (__certctl_run ca list --json | string replace -rf '^\s*"name":\s*"([A-Za-z0-9._-]*)",?$' '$1')
    test (count $names) -gt 0; or set names $__certctl_builtin_cas
    printf '%s\n' $names
end

# CA profiles added to the vault (the ones `ca remove` takes).
function __certctl_added_cas
    for n in (__certctl_cas)
        contains -- $n $__certctl_builtin_cas; or echo $n
    end
end

# --fallback CA[,CA...]: complete the name after the last comma.
function __certctl_fallback
    set -l tok (commandline -ct)
    set -l head (string match -r '^.*,' -- $tok)
    for n in (__certctl_cas)
        echo "$head$n"
    end
end

# --deploy-owner: USER, or USER:GROUP.
function __certctl_owner
    set -l tok (string replace -r -- '^--deploy-owner=' '' (commandline -ct))
    if string match -q -- '*:*' $tok
        set -l user (string replace -r -- ':.*' '' $tok)
        for g in (__fish_complete_groups)
            echo "$user:$g"
        end
    else
        __fish_complete_users
    end
end

# --dns: manual, exec: followed by the hook's path, or a provider stored with `dns add`.
function __certctl_dns
    set -l tok (commandline -ct)
    if string match -q -- 'exec:*' $tok
        for f in (__fish_complete_path (string replace -- exec: '' $tok))
            echo "exec:$f"
        end
    else
        printf '%s\t%s\n' manual 'Print the records and wait for Enter' exec: 'Run a hook: exec:/path/to/hook'
        for n in (__certctl_dns_providers)
            printf '%s\t%s\n' $n 'Stored DNS provider'
        end
    end
end

complete -c certctl -f

# Global options, before or after the command.
complete -c certctl -l vault -x -a '(__fish_complete_directories)' -d 'Vault directory, or a PostgreSQL database (libpq URI or keyword string)'
complete -c certctl -l vault-schema -x -d 'PostgreSQL vault: the schema that holds it (default certctl)'
complete -c certctl -l host -x -a '(hostname 2>/dev/null)' -d 'The name this host goes by in the logs and renewal claims'
complete -c certctl -l passphrase-file -r -F -d 'Read the vault passphrase from a file'
complete -c certctl -l key-file -r -F -d 'Unlock a vault created with a key file'
complete -c certctl -l no-color -d 'Do not colour the output'
complete -c certctl -s q -l quiet -d 'Print only results and errors'
complete -c certctl -s v -l verbose -d 'One line on stderr per finished step'
complete -c certctl -l debug -d 'Trace every HTTP exchange, DNS message and hook run, secrets redacted'
complete -c certctl -l log-file -r -F -d 'Append the trace to this file instead of stderr'
complete -c certctl -l dns-resolver -x -d 'dns-01: send every DNS lookup to IP[:PORT]'
complete -c certctl -l responder-user -x -a '(__fish_complete_users)' -d 'User the http-01/tls-alpn-01 responder runs as'
complete -c certctl -s h -l help -d 'Show help'
complete -c certctl -n __certctl_path -l version -d 'Print the version'

# Commands.
set -l nocmd '__certctl_path'
complete -c certctl -n $nocmd -a init -d 'Create the vault'
complete -c certctl -n $nocmd -a vault -d 'Change the unlock secret or show vault information'
complete -c certctl -n $nocmd -a ca -d 'ACME CA profiles and the local CA'
complete -c certctl -n $nocmd -a account -d 'ACME accounts'
complete -c certctl -n $nocmd -a create -d 'Save a draft record'
complete -c certctl -n $nocmd -a edit -d 'Change a record and its stored settings (no issuing)'
complete -c certctl -n $nocmd -a csr -d 'Generate the key and CSR, or adopt an external CSR'
complete -c certctl -n $nocmd -a issue -d 'Issue a certificate (local CA or ACME)'
complete -c certctl -n $nocmd -a import -d 'Import a certificate and key'
complete -c certctl -n $nocmd -a list -d 'List records'
complete -c certctl -n $nocmd -a ls -d 'List records'
complete -c certctl -n $nocmd -a show -d 'Show a record'
complete -c certctl -n $nocmd -a export -d 'Write PEM files'
complete -c certctl -n $nocmd -a export-pfx -d 'Write a PKCS#12 file'
complete -c certctl -n $nocmd -a renew -d 'Renew every certificate that is due (cron, systemd timers)'
complete -c certctl -n $nocmd -a check -d 'Monitoring plugin: OK, WARNING, CRITICAL or UNKNOWN'
complete -c certctl -n $nocmd -a revoke -d 'Revoke a certificate at its CA'
complete -c certctl -n $nocmd -a delete -d 'Remove a record and its history'
complete -c certctl -n $nocmd -a rm -d 'Remove a record and its history'
complete -c certctl -n $nocmd -a orders -d 'List issuance attempts'
complete -c certctl -n $nocmd -a report -d 'Write an HTML report of the whole inventory'
complete -c certctl -n $nocmd -a audit -d 'List or verify the audit log'
complete -c certctl -n $nocmd -a policy -d 'The issuance policy'
complete -c certctl -n $nocmd -a notify -d 'Webhook and mail notifiers'
complete -c certctl -n $nocmd -a deploy -d 'Deploy targets for many records'
complete -c certctl -n $nocmd -a dns -d 'DNS providers for dns-01'
complete -c certctl -n $nocmd -a host -d 'Hosts that agents run on, each with its own key'
complete -c certctl -n $nocmd -a agent -d 'The agent on a host: its own key'
complete -c certctl -n $nocmd -a migrate -d "Bring another ACME client's certificates into the vault"
complete -c certctl -n $nocmd -a discover -d 'Find certificates at TLS servers and in files'
complete -c certctl -n $nocmd -a help -d 'Show help for a command'

# help COMMAND [SUBCOMMAND...]
complete -c certctl -n '__certctl_path help' \
    -a 'init vault ca account create edit csr issue import list ls show export export-pfx renew check revoke delete rm orders report audit policy notify deploy dns host agent migrate discover help'
complete -c certctl -n '__certctl_path help dns' -a 'add list show remove test check'
complete -c certctl -n '__certctl_path help host' -a 'add list remove sync'
complete -c certctl -n '__certctl_path help agent' -a 'enroll'
complete -c certctl -n '__certctl_path help deploy' -a 'add list remove run'
complete -c certctl -n '__certctl_path help notify' -a 'add list remove test'
complete -c certctl -n '__certctl_path help vault' -a 'rekey info copy'
complete -c certctl -n '__certctl_path help audit' -a 'verify'
complete -c certctl -n '__certctl_path help policy' -a 'set show check'
complete -c certctl -n '__certctl_path help ca' -a 'add list show remove local'
complete -c certctl -n '__certctl_path help ca local' -a 'init rotate show export-root crl'
complete -c certctl -n '__certctl_path help account' -a 'register show update key-rollover deactivate'

# Record names.
complete -c certctl -n __certctl_wants_record -a '(__certctl_records)' -d Record

# init
complete -c certctl -n '__certctl_cmd init' -l generate-key-file -r -F -d 'Write a new random key file and unlock with it'
complete -c certctl -n '__certctl_cmd init' -l scrypt-n -x -d 'scrypt cost parameter N (a power of two)'

# audit [--json] [--since] [--action] [--record] | verify
complete -c certctl -n '__certctl_path audit' -a verify -d 'Check the chain of the audit log'
complete -c certctl -n '__certctl_path audit' -l json -d 'Print JSON lines'
complete -c certctl -n '__certctl_path audit' -l since -x -d 'Only lines since a time or duration (24h, 7d)'
complete -c certctl -n '__certctl_path audit' -l action -x -d 'Only these actions (exact, or a prefix ending in . or *)'
complete -c certctl -n '__certctl_path audit' -l record -x -a '(__certctl_records)' -d 'Only lines about this record'

# policy set | show | check
set -l policy_rules 'name-allow name-deny ca-allow key-types rsa-min-bits ec-min-bits local-max-days subject-required wildcard'
complete -c certctl -n '__certctl_path policy' -a set -d 'Change the issuance policy'
complete -c certctl -n '__certctl_path policy' -a show -d 'Print the issuance policy'
complete -c certctl -n '__certctl_path policy' -a check -d 'Check a record or proposed values'
complete -c certctl -n '__certctl_path policy set' -l allow-name -x -d 'Every name must match one of these patterns'
complete -c certctl -n '__certctl_path policy set' -l deny-name -x -d 'No name may match these patterns'
complete -c certctl -n '__certctl_path policy set' -l allow-ca -x -d 'Only these CA profiles'
complete -c certctl -n '__certctl_path policy set' -l key-types -x -d 'Only these key types (ec256,rsa3072)'
complete -c certctl -n '__certctl_path policy set' -l min-rsa-bits -x -d 'RSA keys of at least N bits'
complete -c certctl -n '__certctl_path policy set' -l min-ec-bits -x -d 'EC keys of at least N bits'
complete -c certctl -n '__certctl_path policy set' -l max-local-days -x -d 'The local CA issues for at most N days'
complete -c certctl -n '__certctl_path policy set' -l require-subject -x -d 'Subject fields that must be set (o,ou,c,st,l,email)'
complete -c certctl -n '__certctl_path policy set' -l wildcard -x -a 'allow deny' -d 'Allow or deny wildcard names'
complete -c certctl -n '__certctl_path policy set' -l soft -x -a "$policy_rules" -d 'Make these rules soft'
complete -c certctl -n '__certctl_path policy set' -l hard -x -a "$policy_rules" -d 'Make these rules hard'
complete -c certctl -n '__certctl_path policy set' -l clear -x -a "$policy_rules" -d 'Remove these rules'
complete -c certctl -n '__certctl_path policy set' -l reset -d 'Remove every rule first'
complete -c certctl -n '__certctl_path policy show' -l json -d 'Print a JSON object'
complete -c certctl -n '__certctl_path policy check' -s d -l domain -x -d 'Primary domain'
complete -c certctl -n '__certctl_path policy check' -l san -x -d 'Additional name or IP address'
complete -c certctl -n '__certctl_path policy check' -l key-type -x -a 'rsa2048 rsa3072 rsa4096 ec256 ec384' -d 'Key type'
complete -c certctl -n '__certctl_path policy check' -l ca -x -d 'CA profile'
complete -c certctl -n '__certctl_path policy check' -l days -x -d 'Validity asked of the local CA'
complete -c certctl -n '__certctl_path policy check' -l org -x -d 'Subject organisation (O)'
complete -c certctl -n '__certctl_path policy check' -l ou -x -d 'Subject organisational unit (OU)'
complete -c certctl -n '__certctl_path policy check' -l country -x -d 'Subject country (C)'
complete -c certctl -n '__certctl_path policy check' -l state -x -d 'Subject state or province (ST)'
complete -c certctl -n '__certctl_path policy check' -l locality -x -d 'Subject locality (L)'
complete -c certctl -n '__certctl_path policy check' -l email -x -d 'Subject e-mail address'
complete -c certctl -n '__certctl_path policy check' -l renew-days -x -d 'Renew this many days before expiry'
complete -c certctl -n '__certctl_path policy check' -l key-policy -x -a 'master hybrid device' -d 'Who opens the key'
complete -c certctl -n '__certctl_path policy check' -l json -d 'Print a JSON object'
complete -c certctl -n '__certctl_path audit verify' -l json -d 'Print the report as JSON'

# vault rekey | info | copy
complete -c certctl -n '__certctl_path vault' -a rekey -d 'Change the unlock secret'
complete -c certctl -n '__certctl_path vault' -a info -d 'Show vault information'
complete -c certctl -n '__certctl_path vault' -a copy -d 'Copy the vault to a directory or database'
complete -c certctl -n '__certctl_path vault copy' -l to -r -F -d 'Destination directory or postgresql:// URL'
complete -c certctl -n '__certctl_path vault copy' -l to-schema -x -d 'PostgreSQL schema to create the copy in'
complete -c certctl -n '__certctl_path vault rekey' -l new-passphrase-file -r -F -d 'Read the new passphrase from a file'
complete -c certctl -n '__certctl_path vault rekey' -l new-key-file -r -F -d 'Unlock with this key file from now on'
complete -c certctl -n '__certctl_path vault rekey' -l scrypt-n -x -d 'scrypt cost parameter N for a new passphrase'
complete -c certctl -n '__certctl_path vault info' -l json -d 'Print JSON'

# ca add | list | show | remove | local
complete -c certctl -n '__certctl_path ca' -a add -d 'Add or replace an ACME CA profile'
complete -c certctl -n '__certctl_path ca' -a list -d 'List CA profiles'
complete -c certctl -n '__certctl_path ca' -a show -d 'Show a CA profile'
complete -c certctl -n '__certctl_path ca' -a remove -d 'Remove an added CA profile and its account'
complete -c certctl -n '__certctl_path ca' -a local -d "The vault's local CA"
set -l caadd '__certctl_under ca add'
complete -c certctl -n $caadd -l directory -x -d 'ACME directory URL (https://...)'
complete -c certctl -n $caadd -l ca-bundle -r -F -d "PEM file of roots to trust for the directory's TLS"
complete -c certctl -n $caadd -l eab-kid -x -d 'External Account Binding key id'
complete -c certctl -n $caadd -l eab-hmac-file -r -F -d 'File holding the EAB HMAC key (base64url)'
complete -c certctl -n $caadd -l tech-zone -x -d 'Zone that _acme-challenge CNAMEs point into'
complete -c certctl -n $caadd -l allow-wildcard -d 'Allow wildcard names with this CA'
complete -c certctl -n $caadd -l profile -x -d 'Default ACME profile for orders'
complete -c certctl -n $caadd -l staging -x -a '(__certctl_cas)' -d 'CA profile of its staging environment'
complete -c certctl -n '__certctl_under ca list' -l json -d 'Print JSON'
complete -c certctl -n '__certctl_path ca show' -a '(__certctl_cas)' -d 'CA profile'
complete -c certctl -n '__certctl_under ca show' -l json -d 'Print JSON'
complete -c certctl -n '__certctl_path ca remove' -a '(__certctl_added_cas)' -d 'Added CA profile'
complete -c certctl -n '__certctl_under ca remove' -s y -l yes -d 'Do not ask for confirmation'

# ca local init | rotate | show | export-root | crl
complete -c certctl -n '__certctl_path ca local' -a init -d 'Create the local root CA and its intermediate'
complete -c certctl -n '__certctl_path ca local' -a rotate -d 'Make a new intermediate or root'
complete -c certctl -n '__certctl_path ca local' -a show -d 'List roots and intermediates'
complete -c certctl -n '__certctl_path ca local' -a export-root -d 'Print the root certificate'
complete -c certctl -n '__certctl_path ca local' -a crl -d "Print the local CA's CRL"
complete -c certctl -n '__certctl_path ca local init' -l cn -x -d 'Common name of the root certificate'
complete -c certctl -n '__certctl_path ca local init' -l key-type -x -a 'rsa2048 rsa3072 rsa4096 ec256 ec384' -d 'Key type'
complete -c certctl -n '__certctl_path ca local init' -l days -x -d 'Validity in days'
complete -c certctl -n '__certctl_path ca local init' -l intermediate-days -x -d 'Validity of the intermediate in days'
complete -c certctl -n '__certctl_path ca local init' -l permit -x -d 'Sign only for this DNS name (and below) or IP range'
complete -c certctl -n '__certctl_path ca local init' -l exclude -x -d 'Never sign for this DNS name (and below) or IP range'
complete -c certctl -n '__certctl_path ca local init' -l json -d 'Print the new root as JSON'
complete -c certctl -n '__certctl_path ca local rotate' -l intermediate -d 'A new intermediate under the current root'
complete -c certctl -n '__certctl_path ca local rotate' -l root -d 'A new root and intermediate'
complete -c certctl -n '__certctl_path ca local rotate' -l overlap -x -d 'Days the replaced ones stay listed'
complete -c certctl -n '__certctl_path ca local rotate' -l days -x -d 'Validity of the new root or intermediate'
complete -c certctl -n '__certctl_path ca local rotate' -l intermediate-days -x -d 'With --root: validity of the new intermediate'
complete -c certctl -n '__certctl_path ca local rotate' -l json -d 'Print JSON'
complete -c certctl -n '__certctl_path ca local show' -l json -d 'Print JSON'
complete -c certctl -n '__certctl_path ca local export-root' -l all -d 'Every root still valid, current first'
complete -c certctl -n '__certctl_path ca local export-root' -l out -r -F -d 'Write to a file'
complete -c certctl -n '__certctl_path ca local crl' -l all -d 'One CRL per root and intermediate not retired'
complete -c certctl -n '__certctl_path ca local crl' -l out -r -F -d 'Write to a file'

# account register | show | update | key-rollover | deactivate
complete -c certctl -n '__certctl_path account' -a register -d 'Register an account with an ACME CA'
complete -c certctl -n '__certctl_path account' -a show -d 'Show the account of a CA profile'
complete -c certctl -n '__certctl_path account' -a update -d 'Change the contact e-mail'
complete -c certctl -n '__certctl_path account' -a key-rollover -d 'Replace the account key'
complete -c certctl -n '__certctl_path account' -a deactivate -d 'Deactivate the account (permanent)'
set -l acct '__certctl_under account register; or __certctl_under account show; or __certctl_under account update; or __certctl_under account key-rollover; or __certctl_under account deactivate'
complete -c certctl -n $acct -l ca -x -a '(__certctl_cas)' -d 'CA profile'
complete -c certctl -n '__certctl_under account register' -l email -x -d 'Contact e-mail address'
complete -c certctl -n '__certctl_under account register' -l agree-tos -d "Agree to the CA's terms of service"
complete -c certctl -n '__certctl_under account register' -l eab-kid -x -d 'External Account Binding key id'
complete -c certctl -n '__certctl_under account register' -l eab-hmac-file -r -F -d 'File holding the EAB HMAC key (base64url)'
complete -c certctl -n '__certctl_under account register' -l key-type -x -a 'rsa2048 rsa3072 rsa4096 ec256 ec384' -d 'Account key type'
complete -c certctl -n '__certctl_under account show' -l json -d 'Print JSON'
complete -c certctl -n '__certctl_under account update' -l email -x -d 'New contact e-mail address'
complete -c certctl -n '__certctl_under account deactivate' -s y -l yes -d 'Do not ask for confirmation'

# create, edit
set -l rec '__certctl_cmd create edit'
complete -c certctl -n $rec -s d -l domain -x -d 'Primary domain'
complete -c certctl -n $rec -l san -x -d 'Additional subject alternative name'
complete -c certctl -n $rec -l key-type -x -a 'rsa2048 rsa3072 rsa4096 ec256 ec384' -d 'Key type'
complete -c certctl -n $rec -l key-policy -x -a 'master hybrid device' -d 'Who opens the key once issued'
complete -c certctl -n $rec -l ca -x -a '(__certctl_cas)' -d 'CA profile that issues the certificate'
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
set -l iss '__certctl_cmd issue'
# The settings options, shared by issue, edit and migrate certbot|lego.
set -l settings '__certctl_cmd issue edit migrate'
complete -c certctl -n $iss -l ca -x -a '(__certctl_cas)' -d 'Issue from this CA profile'
complete -c certctl -n $iss -l parallel -x -d 'With several names: orders in flight at once'
complete -c certctl -n $iss -l days -x -d 'Validity in days (local CA)'
complete -c certctl -n $iss -l json -d 'Print the issued record as JSON'
complete -c certctl -n $iss -l dry-run -d 'Validate the names at the CA and write nothing'
complete -c certctl -n $iss -s d -l domain -x -d 'One-shot: create the record for this domain'
complete -c certctl -n $iss -l san -x -d 'One-shot: additional name'
complete -c certctl -n $iss -l key-type -x -a 'rsa2048 rsa3072 rsa4096 ec256 ec384' -d 'One-shot: key type'
complete -c certctl -n $settings -l challenge -x -a 'http-01 dns-01 tls-alpn-01' -d 'ACME challenge'
complete -c certctl -n $settings -l dns -x -a '(__certctl_dns)' -d 'dns-01 provider: manual or exec:/path/to/hook'
complete -c certctl -n $settings -l webroot -x -a '(__fish_complete_directories)' -d 'Answer http-01 with files under this web root'
complete -c certctl -n $settings -l http-hook -r -F -d 'Answer http-01 through this program'
complete -c certctl -n $settings -l propagation-wait -x -d 'dns-01: wait this many seconds instead of checking'
complete -c certctl -n $settings -l no-propagation-check -d 'dns-01: go on without checking propagation'
complete -c certctl -n $settings -l propagation-check -d 'dns-01: check propagation again'
complete -c certctl -n $settings -l http-address -x -d 'Address of the built-in responders'
complete -c certctl -n $settings -l http-port -x -d 'Port of the built-in http-01 responder'
complete -c certctl -n $settings -l tls-port -x -d 'Port of the built-in tls-alpn-01 responder'
complete -c certctl -n $settings -l profile -x -d 'ACME profile for the order'
complete -c certctl -n $settings -l preferred-chain -x -d 'Issuer CN of the chain to prefer'
complete -c certctl -n $settings -l fallback -x -a '(__certctl_fallback)' -d "CAs to try when the record's CA fails"
complete -c certctl -n $settings -l deploy-dir -x -a '(__fish_complete_directories)' -d 'After issuing and each renewal, write the PEM files here'
complete -c certctl -n $settings -l deploy-owner -x -a '(__certctl_owner)' -d 'chown the deployed files to USER[:GROUP]'
complete -c certctl -n $settings -l deploy-hook -x -a '(__fish_complete_command)' -d 'Shell command run after issuing and each renewal'
complete -c certctl -n $iss -l email -x -d 'Register an account with this contact if the CA has none'
complete -c certctl -n $iss -l agree-tos -d "Agree to the CA's terms of service when registering"

# import
complete -c certctl -n '__certctl_cmd import' -l cert -r -F -d 'Certificate file (PEM or DER)'
complete -c certctl -n '__certctl_cmd import' -l key -r -F -d 'Private key file (PEM or DER)'
complete -c certctl -n '__certctl_cmd import' -l chain -r -F -d 'Intermediate certificates'
complete -c certctl -n '__certctl_cmd import' -l dir -x -a '(__fish_complete_directories)' -d 'Import every certificate file of a directory'
complete -c certctl -n '__certctl_cmd import' -l renew-days -x -d 'Renew when this many days are left (0 = automatic)'
complete -c certctl -n '__certctl_cmd import' -l replace -d 'Import a new version into an existing imported record'

# list, ls
complete -c certctl -n '__certctl_cmd list ls' -l status -x -a 'draft pending active expired error revoked' -d 'Only records in this status'
complete -c certctl -n '__certctl_cmd list ls' -l source -x -a 'managed imported external-csr discovered' -d 'Only records of this source'
complete -c certctl -n '__certctl_cmd list ls' -l expiring-within -x -d 'Only records expiring within DAYS days'
complete -c certctl -n '__certctl_cmd list ls' -l json -d 'Print JSON'

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
complete -c certctl -n '__certctl_cmd export-pfx' -l version -x -d 'Export a version from the history'

# renew
set -l ren '__certctl_cmd renew'
complete -c certctl -n $ren -l force -d 'Renew even when not due, ignoring the backoff after failures'
complete -c certctl -n $ren -l dry-run -d 'Validate with the CA without finalizing; change nothing'
complete -c certctl -n $ren -l json -d 'Print a JSON summary'
complete -c certctl -n $ren -l jitter -x -a '0 90s 15m 30m 1h 2h' -d 'First wait a random time up to DURATION'
complete -c certctl -n $ren -l parallel -x -d 'Orders in flight at once (1-64)'
complete -c certctl -n $ren -l lease-ttl -x -a '60 300 600 1800 3600' -d 'Shared vault: seconds a claim on a due record lasts unless extended'
complete -c certctl -n "$ren; and not __fish_seen_argument -l new-key" -l reuse-key -d "Keep each record's key (stored with the record)"
complete -c certctl -n "$ren; and not __fish_seen_argument -l reuse-key" -l new-key -d 'A new key at each renewal (the default)'
complete -c certctl -n $ren -l pre-hook -x -a '(__fish_complete_command)' -d 'Shell command run once before anything is renewed'
complete -c certctl -n $ren -l deploy-hook -x -a '(__fish_complete_command)' -d 'Shell command run after each successful renewal'
complete -c certctl -n $ren -l post-hook -x -a '(__fish_complete_command)' -d 'Shell command run once after the run'
complete -c certctl -n $ren -l no-notify -d 'Send the notifiers nothing this run'

# check
set -l chk '__certctl_cmd check'
complete -c certctl -n $chk -l warn-days -x -d 'WARNING when a certificate expires within N days (default 21)'
complete -c certctl -n $chk -l crit-days -x -d 'CRITICAL when a certificate expires within N days (default 7)'
complete -c certctl -n $chk -l prometheus -r -F -d 'Also write a Prometheus textfile-collector file'

# revoke
complete -c certctl -n '__certctl_cmd revoke' -l reason -x \
    -a 'unspecified keyCompromise cACompromise affiliationChanged superseded cessationOfOperation' -d 'Revocation reason'
complete -c certctl -n '__certctl_cmd revoke' -s y -l yes -d 'Do not ask for confirmation'

# delete, rm
complete -c certctl -n '__certctl_cmd delete rm' -s y -l yes -d 'Do not ask for confirmation'

# orders
complete -c certctl -n '__certctl_cmd orders' -l json -d 'Print a JSON array'

# report
complete -c certctl -n '__certctl_cmd report' -l html -r -F -d 'Write the page to FILE (- for stdout)'
complete -c certctl -n '__certctl_cmd report' -l days -x -d 'Days the expiry timeline spans (7-366)'

# notify add | list | remove | test
complete -c certctl -n '__certctl_path notify' -a add -d 'Add or replace a notifier'
complete -c certctl -n '__certctl_path notify' -a list -d 'List notifiers'
complete -c certctl -n '__certctl_path notify' -a remove -d 'Remove a notifier'
complete -c certctl -n '__certctl_path notify' -a test -d 'Send a test message'
set -l nadd '__certctl_cmd notify; and __fish_seen_subcommand_from add'
complete -c certctl -n $nadd -l webhook -x -d 'POST a JSON summary to this URL'
complete -c certctl -n $nadd -l smtp -x -d 'Mail server URL (smtp:// or smtps://)'
complete -c certctl -n $nadd -l starttls -d 'Upgrade smtp:// with STARTTLS'
complete -c certctl -n $nadd -l from -x -d 'Mail sender address'
complete -c certctl -n $nadd -l to -x -d 'Mail recipients, comma-separated'
complete -c certctl -n $nadd -l smtp-user -x -d 'SMTP AUTH user'
complete -c certctl -n $nadd -l smtp-password-env -x -a '(set -xn)' -d 'Variable holding the SMTP password'
complete -c certctl -n $nadd -l ca-bundle -r -F -d 'PEM roots for TLS'
complete -c certctl -n $nadd -l on -x -a 'failure success expiring failure,expiring failure,success,expiring' -d 'Events'
complete -c certctl -n $nadd -l expiring-days -x -d 'Remind this many days before expiry'
complete -c certctl -n '__certctl_path notify list' -l json -d 'Print a JSON array'
complete -c certctl -n '__certctl_path notify remove; or __certctl_path notify test' \
    -a '(certctl notify list 2>/dev/null | tail -n +2 | string replace -r " .*" "")' -d Notifier

# deploy add | list | remove | run
complete -c certctl -n '__certctl_path deploy' -a add -d 'Add or replace a deploy target'
complete -c certctl -n '__certctl_path deploy' -a list -d 'List deploy targets'
complete -c certctl -n '__certctl_path deploy' -a remove -d 'Remove a deploy target'
complete -c certctl -n '__certctl_path deploy' -a run -d 'Deploy records now'
set -l dadd '__certctl_cmd deploy; and __fish_seen_subcommand_from add'
complete -c certctl -n $dadd -l ca -x -a '(__certctl_cas)' -d 'Only records of this CA'
complete -c certctl -n $dadd -l record -x -a '(__certctl_records)' -d 'Only these records'
complete -c certctl -n $dadd -l cert -r -F -d 'Write the certificate here'
complete -c certctl -n $dadd -l chain -r -F -d 'Write the intermediates here'
complete -c certctl -n $dadd -l fullchain -r -F -d 'Write certificate + intermediates here'
complete -c certctl -n $dadd -l key -r -F -d 'Write the private key here'
complete -c certctl -n $dadd -l mode -x -a '0644 0640 0600' -d 'Mode of the certificate files'
complete -c certctl -n $dadd -l key-mode -x -a '0600 0640 0400' -d 'Mode of the key file'
complete -c certctl -n $dadd -l owner -x -a '(__fish_complete_users)' -d 'chown the files to USER[:GROUP]'
complete -c certctl -n $dadd -l hook -x -a '(__fish_complete_command)' -d 'Shell command after each record is deployed'
complete -c certctl -n $dadd -l pre-hook -x -a '(__fish_complete_command)' -d 'Shell command before a renew run'
complete -c certctl -n $dadd -l post-hook -x -a '(__fish_complete_command)' -d 'Shell command after a renew run'
complete -c certctl -n $dadd -l hosts -x -a '(__certctl_run host list | tail -n +2 | string replace -r " .*" "")' -d 'Only on these hosts (their agents deploy it)'
complete -c certctl -n $dadd -l labels -x -d 'Only on hosts with one of these labels'
complete -c certctl -n '__certctl_path deploy list' -l json -d 'Print a JSON array'
complete -c certctl -n '__certctl_cmd deploy; and __fish_seen_subcommand_from run' -a '(__certctl_records)' -d Record

# dns add | list | show | remove | test | check
complete -c certctl -n '__certctl_path dns' -a add -d 'Add or replace a DNS provider'
complete -c certctl -n '__certctl_path dns' -a list -d 'List DNS providers'
complete -c certctl -n '__certctl_path dns' -a show -d 'Show a DNS provider'
complete -c certctl -n '__certctl_path dns' -a remove -d 'Remove a DNS provider'
complete -c certctl -n '__certctl_path dns' -a test -d 'Publish and remove a test TXT record'
complete -c certctl -n '__certctl_path dns' -a check -d "Check a record's tech-zone CNAMEs"
set -l dnsadd '__certctl_cmd dns; and __fish_seen_subcommand_from add'
complete -c certctl -n $dnsadd -l provider -x -a 'rfc2136 powerdns cloudflare route53 gcloud azure digitalocean hetzner ovh gandi linode aliyun godaddy porkbun desec acme-dns httpreq exec' -d 'Provider type'
complete -c certctl -n $dnsadd -l server -x -d 'rfc2136: server IP[:PORT]'
complete -c certctl -n $dnsadd -l key-name -x -d 'rfc2136: TSIG key name'
complete -c certctl -n $dnsadd -l algorithm -x -a 'hmac-sha256 hmac-sha512 hmac-sha1' -d 'rfc2136: TSIG algorithm'
complete -c certctl -n $dnsadd -l tsig-secret-env -x -a '(set -xn)' -d 'rfc2136: variable holding the TSIG secret'
complete -c certctl -n $dnsadd -l tsig-secret-file -r -F -d 'rfc2136: file holding the TSIG secret (sealed)'
complete -c certctl -n $dnsadd -l zone -x -d 'Zone to update (else found by SOA)'
complete -c certctl -n $dnsadd -l api-url -x -d 'API base URL'
complete -c certctl -n $dnsadd -l server-id -x -d 'powerdns: server id'
complete -c certctl -n $dnsadd -l api-key-env -x -a '(set -xn)' -d 'powerdns, godaddy, porkbun: variable holding the API key'
complete -c certctl -n $dnsadd -l api-key-file -r -F -d 'powerdns, godaddy, porkbun: file holding the API key (sealed)'
complete -c certctl -n $dnsadd -l api-token-env -x -a '(set -xn)' -d 'cloudflare, digitalocean, hetzner, gandi, linode, desec: variable holding the API token'
complete -c certctl -n $dnsadd -l api-token-file -r -F -d 'cloudflare, digitalocean, hetzner, gandi, linode, desec: file holding the API token (sealed)'
complete -c certctl -n $dnsadd -l zone-id -x -d 'cloudflare: zone id'
complete -c certctl -n $dnsadd -l username -x -d 'acme-dns, httpreq: user name'
complete -c certctl -n $dnsadd -l password-env -x -a '(set -xn)' -d 'acme-dns, httpreq: variable holding the password'
complete -c certctl -n $dnsadd -l password-file -r -F -d 'acme-dns, httpreq: file holding the password (sealed)'
complete -c certctl -n $dnsadd -l subdomain -x -d 'acme-dns: subdomain'
complete -c certctl -n $dnsadd -l command -r -F -d 'exec: absolute path of the executable to run'
complete -c certctl -n $dnsadd -l hook-timeout -x -d 'exec: seconds each run may take'
complete -c certctl -n $dnsadd -l access-key-id -x -d 'route53, aliyun: access key id (route53 default: AWS_ACCESS_KEY_ID, else the shared credentials file)'
complete -c certctl -n $dnsadd -l secret-access-key-env -x -a '(set -xn)' -d 'route53: variable holding the secret access key'
complete -c certctl -n $dnsadd -l secret-access-key-file -r -F -d 'route53: file holding the secret access key (sealed)'
complete -c certctl -n $dnsadd -l session-token-env -x -a '(set -xn)' -d 'route53: variable holding the session token'
complete -c certctl -n $dnsadd -l session-token-file -r -F -d 'route53: file holding the session token (sealed)'
complete -c certctl -n $dnsadd -l profile -x -d 'route53: profile of the shared credentials file (default: AWS_PROFILE, else default)'
complete -c certctl -n $dnsadd -l hosted-zone-id -x -d 'route53: hosted zone id to use instead of finding the zone by name'
complete -c certctl -n $dnsadd -l private-zone -x -d 'route53: true: use the private hosted zone of the name, not the public one'
complete -c certctl -n $dnsadd -l service-account-key-env -x -a '(set -xn)' -d 'gcloud: variable holding the service account key'
complete -c certctl -n $dnsadd -l service-account-key-file -r -F -d 'gcloud: file holding the service account key (sealed)'
complete -c certctl -n $dnsadd -l project -x -d 'gcloud: Google Cloud project id of the zones (default: the key\'s project_id)'
complete -c certctl -n $dnsadd -l tenant-id -x -d 'azure: Microsoft Entra tenant (directory) ID or domain of the application'
complete -c certctl -n $dnsadd -l client-id -x -d 'azure: application (client) ID of the app registration'
complete -c certctl -n $dnsadd -l client-secret-env -x -a '(set -xn)' -d 'azure: variable holding the client secret'
complete -c certctl -n $dnsadd -l client-secret-file -r -F -d 'azure: file holding the client secret (sealed)'
complete -c certctl -n $dnsadd -l subscription-id -x -d 'azure: Azure subscription ID that holds the DNS zones'
complete -c certctl -n $dnsadd -l resource-group -x -d 'azure: resource group of the DNS zones (default: found by listing the subscription\'s zones)'
complete -c certctl -n $dnsadd -l login-url -x -d 'azure: Microsoft Entra ID login URL (default: https://login.microsoftonline.com)'
complete -c certctl -n $dnsadd -l application-key -x -d 'ovh: the application key (AK) of an OVH API application'
complete -c certctl -n $dnsadd -l application-secret-env -x -a '(set -xn)' -d 'ovh: variable holding the application secret'
complete -c certctl -n $dnsadd -l application-secret-file -r -F -d 'ovh: file holding the application secret (sealed)'
complete -c certctl -n $dnsadd -l consumer-key-env -x -a '(set -xn)' -d 'ovh: variable holding the consumer key'
complete -c certctl -n $dnsadd -l consumer-key-file -r -F -d 'ovh: file holding the consumer key (sealed)'
complete -c certctl -n $dnsadd -l endpoint -x -d 'ovh: API region (ovh-eu, ovh-ca, ovh-us, ...) or base URL; httpreq: URL of your endpoint'
complete -c certctl -n $dnsadd -l access-key-secret-env -x -a '(set -xn)' -d 'aliyun: variable holding the access key secret'
complete -c certctl -n $dnsadd -l access-key-secret-file -r -F -d 'aliyun: file holding the access key secret (sealed)'
complete -c certctl -n $dnsadd -l min-ttl -x -d 'aliyun: lowest TTL the domain\'s edition accepts (default: 600, the free edition\'s)'
complete -c certctl -n $dnsadd -l api-secret-env -x -a '(set -xn)' -d 'godaddy: variable holding the api secret'
complete -c certctl -n $dnsadd -l api-secret-file -r -F -d 'godaddy: file holding the api secret (sealed)'
complete -c certctl -n $dnsadd -l secret-api-key-env -x -a '(set -xn)' -d 'porkbun: variable holding the secret api key'
complete -c certctl -n $dnsadd -l secret-api-key-file -r -F -d 'porkbun: file holding the secret api key (sealed)'
complete -c certctl -n $dnsadd -l ca-bundle -r -F -d 'powerdns, acme-dns, httpreq: PEM roots for an https API'
complete -c certctl -n $dnsadd -l tech-zone -x -d 'Zone the _acme-challenge CNAMEs point into'
complete -c certctl -n $dnsadd -l ttl -x -d 'TTL of the TXT records'
complete -c certctl -n $dnsadd -l timeout -x -d 'Propagation timeout in seconds'
complete -c certctl -n $dnsadd -l propagation-wait -x -d 'Wait this many seconds instead of checking'
complete -c certctl -n $dnsadd -l no-propagation-check -d 'Publish and go on without checking'
complete -c certctl -n '__certctl_path dns list' -l json -d 'Print a JSON array'
complete -c certctl -n '__certctl_cmd dns; and __fish_seen_subcommand_from show check' -l json -d 'Print JSON'
complete -c certctl -n '__certctl_cmd dns; and __fish_seen_subcommand_from test' -l domain -x -d 'Domain to test with'
complete -c certctl -n '__certctl_path dns show; or __certctl_path dns remove; or __certctl_path dns test' \
    -a '(__certctl_dns_providers)' -d 'DNS provider'
complete -c certctl -n '__certctl_path dns check' -a '(__certctl_records)' -d Record

# host add | list | remove
complete -c certctl -n '__certctl_path host' -a add -d 'Register a host by its public key'
complete -c certctl -n '__certctl_path host' -a list -d 'List hosts'
complete -c certctl -n '__certctl_path host' -a remove -d 'Remove a host and its key copies'
complete -c certctl -n '__certctl_path host' -a sync -d 'Seal keys to the hosts their deploy targets name'
set -l hadd '__certctl_cmd host; and __fish_seen_subcommand_from add'
complete -c certctl -n $hadd -l public-key -r -F -d 'The line agent enroll printed (- for stdin)'
complete -c certctl -n $hadd -l labels -x -d 'Labels, comma-separated'
complete -c certctl -n '__certctl_path host list' -l json -d 'Print a JSON array'
complete -c certctl -n '__certctl_cmd host; and __fish_seen_subcommand_from remove' -s y -l yes -d 'Do not ask for confirmation'
complete -c certctl -n '__certctl_path host remove' \
    -a '(__certctl_run host list | tail -n +2 | string replace -r " .*" "")' -d Host

# agent enroll
complete -c certctl -n '__certctl_path agent' -a enroll -d 'Make this host key pair and print its public key'
complete -c certctl -n '__certctl_path agent' -l once -d 'One pass, then exit'
complete -c certctl -n '__certctl_path agent' -l key-file -r -F -d "This host's key from agent enroll"
complete -c certctl -n '__certctl_path agent' -l interval -x -d 'Re-read the vault at least this often (seconds)'
set -l enroll '__certctl_cmd agent; and __fish_seen_subcommand_from enroll'
complete -c certctl -n $enroll -l key-file -r -F -d 'Where to write the host private key'
complete -c certctl -n $enroll -l force -d 'Replace an existing host key'

# migrate certbot | lego
complete -c certctl -n '__certctl_path migrate' -a certbot -d "Migrate certbot's store"
complete -c certctl -n '__certctl_path migrate' -a lego -d "Migrate lego's store"
complete -c certctl -n '__certctl_path migrate' -a acme.sh -d "Migrate acme.sh's store"
complete -c certctl -n '__certctl_path help migrate' -a 'certbot lego acme.sh'
set -l mig '__certctl_cmd migrate; and __fish_seen_subcommand_from certbot lego acme.sh'
complete -c certctl -n $mig -l dry-run -d 'Print the plan, change nothing'
complete -c certctl -n $mig -l ca-bundle -r -F -d 'PEM roots for a private ACME server'
set -l mlego '__certctl_cmd migrate; and __fish_seen_subcommand_from lego'
complete -c certctl -n $mlego -l path -r -a '(__fish_complete_directories)' -d "lego's --path"
complete -c certctl -n $mlego -l server -x -d 'The directory URL lego was run with'
complete -c certctl -n '__certctl_path migrate certbot' -a '(__fish_complete_directories)'
complete -c certctl -n '__certctl_path migrate lego' -a '(__fish_complete_directories)'
complete -c certctl -n '__certctl_path migrate acme.sh' -a '(__fish_complete_directories)'

# discover tls | files
complete -c certctl -n '__certctl_path discover' -a tls -d 'Record the certificates TLS servers present'
complete -c certctl -n '__certctl_path discover' -a files -d 'Record the certificates in PEM, DER and PKCS#12 files'
complete -c certctl -n '__certctl_path help discover' -a 'tls files'
set -l dtls '__certctl_under discover tls'
complete -c certctl -n $dtls -l file -r -F -d 'More targets, one per line'
complete -c certctl -n $dtls -l sni -x -a '(__fish_print_hostnames)' -d 'Server name to send'
complete -c certctl -n $dtls -l parallel -x -d 'Connections at once (1 to 64)'
complete -c certctl -n $dtls -l timeout -x -d 'Seconds per connection (1 to 60)'
complete -c certctl -n $dtls -l json -d 'Print JSON'
complete -c certctl -n '__certctl_under discover files' -l json -d 'Print JSON'
complete -c certctl -n '__certctl_under discover files' -a '(__fish_complete_directories)'
