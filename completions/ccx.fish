# fish completion for ccx (generated from the ccxcli command table; do not edit)
function __ccx_path
    set -l words (commandline -opc)
    set -e words[1]
    set -l out
    set -l skip 0
    for w in $words
        if test $skip = 1; set skip 0; continue; end
        switch $w
            case --home --node; set skip 1
            case '-*'
            case '*'; set out $out $w
        end
    end
    echo (string join ' ' $out)
end
complete -c ccx -f
complete -c ccx -n 'test "(__ccx_path)" = ""' -a 'appadmin exit help license quit set show sim utils shell run completion --home --node --json --yes --help --version'
complete -c ccx -n 'test "(__ccx_path)" = "appadmin"' -a 'alerts events license'
complete -c ccx -n 'test "(__ccx_path)" = "appadmin events"' -a '--last'
complete -c ccx -n 'test "(__ccx_path)" = "appadmin license"' -a 'classic consumption control migrate type'
complete -c ccx -n 'test "(__ccx_path)" = "appadmin license classic"' -a 'install show'
complete -c ccx -n 'test "(__ccx_path)" = "appadmin license consumption"' -a '--from --to --interval --chart'
complete -c ccx -n 'test "(__ccx_path)" = "appadmin license control"' -a '--agent-seats --premium-seats --standard-seats --outbound-ports --ivr-ports --overage'
complete -c ccx -n 'test "(__ccx_path)" = "appadmin license migrate"' -a 'smart'
complete -c ccx -n 'test "(__ccx_path)" = "appadmin license type"' -a 'perpetual-premium perpetual-enhanced flex ip-ivr hcs-flex nps nfr'
complete -c ccx -n 'test "(__ccx_path)" = "license"' -a 'smart'
complete -c ccx -n 'test "(__ccx_path)" = "license smart"' -a 'deregister factory hostname register renew reservation transport'
complete -c ccx -n 'test "(__ccx_path)" = "license smart factory"' -a 'reset'
complete -c ccx -n 'test "(__ccx_path)" = "license smart hostname"' -a 'enable disable'
complete -c ccx -n 'test "(__ccx_path)" = "license smart register"' -a 'idtoken'
complete -c ccx -n 'test "(__ccx_path)" = "license smart register idtoken"' -a 'force'
complete -c ccx -n 'test "(__ccx_path)" = "license smart renew"' -a 'auth ID'
complete -c ccx -n 'test "(__ccx_path)" = "license smart reservation"' -a 'cancel disable enable install install-file request return return-authorization'
complete -c ccx -n 'test "(__ccx_path)" = "license smart reservation request"' -a 'specific'
complete -c ccx -n 'test "(__ccx_path)" = "license smart reservation return"' -a '- authorization'
complete -c ccx -n 'test "(__ccx_path)" = "license smart reservation return -"' -a 'authorization'
complete -c ccx -n 'test "(__ccx_path)" = "license smart transport"' -a 'direct gateway proxy ssm-satellite'
complete -c ccx -n 'test "(__ccx_path)" = "set"' -a 'cli'
complete -c ccx -n 'test "(__ccx_path)" = "set cli"' -a 'pagination'
complete -c ccx -n 'test "(__ccx_path)" = "set cli pagination"' -a 'on off'
complete -c ccx -n 'test "(__ccx_path)" = "show"' -a 'cli hardware license myself network status uccx version'
complete -c ccx -n 'test "(__ccx_path)" = "show cli"' -a 'pagination'
complete -c ccx -n 'test "(__ccx_path)" = "show license"' -a 'all reservation status summary tech techsupport UDI usage'
complete -c ccx -n 'test "(__ccx_path)" = "show license tech"' -a 'support'
complete -c ccx -n 'test "(__ccx_path)" = "show network"' -a 'cluster eth0'
complete -c ccx -n 'test "(__ccx_path)" = "show network eth0"' -a 'detail'
complete -c ccx -n 'test "(__ccx_path)" = "show uccx"' -a 'jtapi_client license version'
complete -c ccx -n 'test "(__ccx_path)" = "show uccx jtapi_client"' -a 'version'
complete -c ccx -n 'test "(__ccx_path)" = "show version"' -a 'active inactive'
complete -c ccx -n 'test "(__ccx_path)" = "sim"' -a 'agent clock fault lab network node ports scenario ssm'
complete -c ccx -n 'test "(__ccx_path)" = "sim agent"' -a 'add delete list login logout modify'
complete -c ccx -n 'test "(__ccx_path)" = "sim agent add"' -a '--skills --supervisor'
complete -c ccx -n 'test "(__ccx_path)" = "sim agent login"' -a '--count --premium'
complete -c ccx -n 'test "(__ccx_path)" = "sim agent logout"' -a '--all'
complete -c ccx -n 'test "(__ccx_path)" = "sim agent modify"' -a '--skills --supervisor'
complete -c ccx -n 'test "(__ccx_path)" = "sim clock"' -a 'advance realtime set show'
complete -c ccx -n 'test "(__ccx_path)" = "sim clock realtime"' -a 'on off'
complete -c ccx -n 'test "(__ccx_path)" = "sim fault"' -a 'list license-computation agent-init ssm-error ssm-slow on off'
complete -c ccx -n 'test "(__ccx_path)" = "sim lab"' -a 'export import load reset save snapshots'
complete -c ccx -n 'test "(__ccx_path)" = "sim lab import"' -a '--name'
complete -c ccx -n 'test "(__ccx_path)" = "sim network"' -a 'up down'
complete -c ccx -n 'test "(__ccx_path)" = "sim node"' -a 'create delete list'
complete -c ccx -n 'test "(__ccx_path)" = "sim node create"' -a '--type --ova --classic --version --wfo'
complete -c ccx -n 'test "(__ccx_path)" = "sim ports"' -a 'inbound outbound ivr'
complete -c ccx -n 'test "(__ccx_path)" = "sim scenario"' -a 'list load'
complete -c ccx -n 'test "(__ccx_path)" = "sim ssm"' -a 'trust'
complete -c ccx -n 'test "(__ccx_path)" = "utils"' -a 'core dbreplication disaster_recovery ntp remotesyslog service system uccx'
complete -c ccx -n 'test "(__ccx_path)" = "utils core"' -a 'active'
complete -c ccx -n 'test "(__ccx_path)" = "utils core active"' -a 'list'
complete -c ccx -n 'test "(__ccx_path)" = "utils dbreplication"' -a 'runtimestate'
complete -c ccx -n 'test "(__ccx_path)" = "utils disaster_recovery"' -a 'status'
complete -c ccx -n 'test "(__ccx_path)" = "utils disaster_recovery status"' -a 'backup restore'
complete -c ccx -n 'test "(__ccx_path)" = "utils ntp"' -a 'status'
complete -c ccx -n 'test "(__ccx_path)" = "utils remotesyslog"' -a 'set show'
complete -c ccx -n 'test "(__ccx_path)" = "utils remotesyslog set"' -a 'ca protocol server'
complete -c ccx -n 'test "(__ccx_path)" = "utils remotesyslog set protocol"' -a 'udp tcp tls'
complete -c ccx -n 'test "(__ccx_path)" = "utils remotesyslog set server"' -a '--port'
complete -c ccx -n 'test "(__ccx_path)" = "utils service"' -a 'list'
complete -c ccx -n 'test "(__ccx_path)" = "utils system"' -a 'restart'
complete -c ccx -n 'test "(__ccx_path)" = "utils uccx"' -a 'delete list'
complete -c ccx -n 'test "(__ccx_path)" = "utils uccx delete"' -a 'license'
complete -c ccx -n 'test "(__ccx_path)" = "utils uccx list"' -a 'license'
