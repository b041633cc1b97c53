# bash completion for pushgwctl(1). Installed as
# /usr/share/bash-completion/completions/pushgwctl; kept in step with
# `pushgwctl --help` and each command's --help by tests/integration/test_docs.py.

_pushgwctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local commands="send stats feedback token forget ping raw event campaign scheduled cancel top"
    local global="--socket --json --timeout --help --version"
    local cmd="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --socket|--timeout|--since|--limit|--platform|--app|--token|--endpoint|--campaign|--kind|--at|--interval|--iterations)
                ((i++)) ;;
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    COMPREPLY=()
    case $prev in
        --socket)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --platform)
            COMPREPLY=($(compgen -W "apns fcm webpush" -- "$cur")); return ;;
        --kind)
            COMPREPLY=($(compgen -W "open click conversion" -- "$cur")); return ;;
        --timeout|--since|--limit|--app|--token|--endpoint|--campaign|--at|--interval|--iterations)
            return ;;
    esac
    local opts=""
    case $cmd in
        "")
            COMPREPLY=($(compgen -W "$commands $global" -- "$cur")); return ;;
        send) opts="--wait" ;;
        feedback) opts="--since --limit --follow" ;;
        token|forget) opts="--platform --app --token --endpoint" ;;
        event) opts="--campaign --platform --app --token --endpoint --kind --at" ;;
        scheduled) opts="--limit" ;;
        top) opts="--interval --iterations" ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts $global" -- "$cur"))
    elif [[ $cmd == send ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _pushgwctl pushgwctl
