#!/bin/sh
# Smoke-test the image's root filesystem with chroot (container runtimes cannot set their
# resource limits on the CI machines): `ccx` runs, `ccx serve` answers an SSH client with the
# password the entrypoint made, `ccx-ssm serve` answers HTTPS, and the health check says so.
#
#   container/smoke.sh OUTDIR [PYTHON]     (as root; OUTDIR from container/build.sh; PYTHON has paramiko)
set -eu
out=${1:?usage: container/smoke.sh OUTDIR [PYTHON]}
python=${2:-python3}
root=$(mktemp -d)
cleanup() {
    [ -n "${ssh_pid:-}" ] && kill "$ssh_pid" 2>/dev/null || true
    [ -n "${https_pid:-}" ] && kill "$https_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    umount "$root/dev" "$root/proc" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
tar -xpf "$out/rootfs.tar" -C "$root"
mount --bind /dev "$root/dev"
mount -t proc proc "$root/proc"
as_ccx() { chroot --userspec=1000:1000 "$root" env -i HOME=/home/ccx PATH=/opt/ccxcli/bin:/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 CCX_HOME=/lab "$@"; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "--- ccx in the image"
as_ccx ccx-entrypoint ccx show license status | grep -q "License Authorization Status: EVAL MODE" && echo "ccx: ok"
as_ccx ccx-entrypoint ccx-ssm license list | grep -q flex-standard && echo "ccx-ssm: ok"

echo "--- ccx serve (entrypoint ssh)"
ssh_port=$(free_port)
as_ccx env CCX_SSH_LISTEN="127.0.0.1:$ssh_port" ccx-entrypoint ssh --stop-after 120 > "$root/tmp/ssh.out" 2>&1 &
ssh_pid=$!
for _ in $(seq 100); do grep -q "^Serving" "$root/tmp/ssh.out" && break; sleep 0.2; done
grep "password made" "$root/tmp/ssh.out"
as_ccx env CCX_SSH_LISTEN="127.0.0.1:$ssh_port" ccx-healthcheck ssh && echo "health (ssh): ok"
"$python" - "$ssh_port" "$(cat "$root/lab/.ssh-password")" <<'PY'
import sys
import paramiko

client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect("127.0.0.1", int(sys.argv[1]), username="admin", password=sys.argv[2], look_for_keys=False,
               allow_agent=False)
_, out, _ = client.exec_command("show license status")
text = out.read().decode()
assert "License Authorization Status" in text, text
print("ssh client: ok")
client.close()
PY
kill "$ssh_pid"; wait "$ssh_pid" 2>/dev/null || true; ssh_pid=

echo "--- ccx-ssm serve (entrypoint https)"
https_port=$(free_port)
as_ccx env CCX_HTTPS_LISTEN="127.0.0.1:$https_port" ccx-entrypoint https --stop-after 120 > "$root/tmp/https.out" 2>&1 &
https_pid=$!
for _ in $(seq 100); do grep -q "^Serving" "$root/tmp/https.out" && break; sleep 0.2; done
as_ccx env CCX_HTTPS_LISTEN="127.0.0.1:$https_port" ccx-healthcheck https && echo "health (https): ok"
"$python" - "$https_port" "$(cat "$root/lab/.portal-password")" <<'PY'
import json
import ssl
import sys
import urllib.request

context = ssl.create_default_context()
context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
request = urllib.request.Request(f"https://127.0.0.1:{sys.argv[1]}/api/v1/account",
                                 headers={"Authorization": f"Bearer {sys.argv[2]}"})
doc = json.load(urllib.request.urlopen(request, context=context, timeout=10))
assert doc["name"] == "Demo Smart Account", doc
print("https client: ok")
PY
echo "Smoke test passed."
