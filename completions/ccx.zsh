#compdef ccx
# zsh completion for ccx (generated from the ccxcli command table; do not edit)
autoload -U +X bashcompinit && bashcompinit
_ccx() {
    local cur="${COMP_WORDS[COMP_CWORD]}" path="" words i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        case "$w" in
            --home|--node) ((i++)) ;;
            -*) ;;
            *) path="${path:+$path }$w" ;;
        esac
    done
    case "$path" in
        "") words="appadmin exit help license quit set show sim utils shell run completion --home --node --json --yes --help --version" ;;
        "appadmin") words="alerts events license" ;;
        "appadmin events") words="--last" ;;
        "appadmin license") words="classic consumption control migrate type" ;;
        "appadmin license classic") words="install show" ;;
        "appadmin license consumption") words="--from --to --interval --chart" ;;
        "appadmin license control") words="--agent-seats --premium-seats --standard-seats --outbound-ports --ivr-ports --overage" ;;
        "appadmin license migrate") words="smart" ;;
        "appadmin license type") words="perpetual-premium perpetual-enhanced flex ip-ivr hcs-flex nps nfr" ;;
        "license") words="smart" ;;
        "license smart") words="deregister factory hostname register renew reservation transport" ;;
        "license smart factory") words="reset" ;;
        "license smart hostname") words="enable disable" ;;
        "license smart register") words="idtoken" ;;
        "license smart register idtoken") words="force" ;;
        "license smart renew") words="auth ID" ;;
        "license smart reservation") words="cancel disable enable install install-file request return return-authorization" ;;
        "license smart reservation request") words="specific" ;;
        "license smart reservation return") words="- authorization" ;;
        "license smart reservation return -") words="authorization" ;;
        "license smart transport") words="direct gateway proxy smart ssm-satellite" ;;
        "license smart transport proxy") words="--user --password-file --no-auth" ;;
        "set") words="cli" ;;
        "set cli") words="pagination" ;;
        "set cli pagination") words="on off" ;;
        "show") words="cli hardware license myself network status uccx version" ;;
        "show cli") words="pagination" ;;
        "show license") words="all reservation status summary tech techsupport UDI usage" ;;
        "show license tech") words="support" ;;
        "show network") words="cluster eth0" ;;
        "show network eth0") words="detail" ;;
        "show uccx") words="jtapi_client license version" ;;
        "show uccx jtapi_client") words="version" ;;
        "show version") words="active inactive" ;;
        "sim") words="agent clock fault lab network node ports proxy scenario ssm trust-store" ;;
        "sim agent") words="add delete list login logout modify" ;;
        "sim agent add") words="--skills --supervisor" ;;
        "sim agent login") words="--count --premium" ;;
        "sim agent logout") words="--all" ;;
        "sim agent modify") words="--skills --supervisor" ;;
        "sim clock") words="advance realtime set show" ;;
        "sim clock realtime") words="on off" ;;
        "sim fault") words="clock-skew list license-computation agent-init ssm-error ssm-slow on off" ;;
        "sim lab") words="apply check cisco-root-ca export import load reset save schema slr-tiers snapshots" ;;
        "sim lab apply") words="--replace" ;;
        "sim lab cisco-root-ca") words="identrust quovadis" ;;
        "sim lab import") words="--name" ;;
        "sim lab slr-tiers") words="borrow strict" ;;
        "sim network") words="up down" ;;
        "sim node") words="create delete list" ;;
        "sim node create") words="--type --ova --classic --version --wfo --subscriber-of" ;;
        "sim ports") words="inbound outbound ivr" ;;
        "sim proxy") words="add list remove" ;;
        "sim proxy add") words="--user --password-file" ;;
        "sim scenario") words="list load" ;;
        "sim scenario load") words="--replace --node" ;;
        "sim ssm") words="cisco trust" ;;
        "sim trust-store") words="current legacy" ;;
        "utils") words="core dbreplication disaster_recovery ntp remotesyslog service system uccx" ;;
        "utils core") words="active" ;;
        "utils core active") words="list" ;;
        "utils dbreplication") words="runtimestate" ;;
        "utils disaster_recovery") words="status" ;;
        "utils disaster_recovery status") words="backup restore" ;;
        "utils ntp") words="status" ;;
        "utils remotesyslog") words="set show" ;;
        "utils remotesyslog set") words="ca protocol server" ;;
        "utils remotesyslog set protocol") words="udp tcp tls" ;;
        "utils remotesyslog set server") words="--port" ;;
        "utils service") words="list" ;;
        "utils system") words="restart" ;;
        "utils uccx") words="delete list" ;;
        "utils uccx delete") words="license" ;;
        "utils uccx list") words="license" ;;
        *) words="" ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _ccx ccx
