#!/usr/bin/env bash
# Specific License Reservation across an air gap, as a customer would script it.
#
# The node lab and the SSM live in two separate folders (think: two machines); the only
# things that cross the gap are files: the SSM's public key, the request code, the
# authorization code, the confirmation code and the return code.
#
# Usage: bash examples/airgap-slr.sh [WORKDIR]     (needs ccx and ccx-ssm on PATH)
set -euo pipefail

work=${1:-$(mktemp -d)}
mkdir -p "$work/gap"
node=(ccx --home "$work/node-lab")            # the UCCX side, never online
ssm=(ccx-ssm --ssm "$work/ssm")               # the side that can reach Cisco SSM
json() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# 0. A smart account with licenses, and the node trusting that SSM's signing key.
[ -e "$work/ssm/ssm.db" ] || "${ssm[@]}" init --account "Example Corp" --demo >/dev/null
"${ssm[@]}" key export > "$work/gap/ssm-public.pem"
"${node[@]}" sim ssm trust "$work/gap/ssm-public.pem" >/dev/null
"${node[@]}" sim network down >/dev/null

# 1. Node: enable reservation and produce the request code.
"${node[@]}" license smart reservation enable >/dev/null
"${node[@]}" --json license smart reservation request specific | json request_code > "$work/gap/request.txt"
sn=$("${node[@]}" --json show license UDI | python3 -c 'import json,sys; print(json.load(sys.stdin)["udi"]["sn"])')
echo "request code:       $(cat "$work/gap/request.txt")"

# 2. SSM: reserve 20 standard + 5 premium for that request.
"${ssm[@]}" reservation authorize --va DEFAULT --request @"$work/gap/request.txt" \
  --license flex-standard=20 --license flex-premium=5 --out "$work/gap/auth.xml" >/dev/null
echo "authorization code: $(wc -c < "$work/gap/auth.xml") bytes"

# 3. Node: install it.
"${node[@]}" license smart reservation install-file "$work/gap/auth.xml" >/dev/null
"${node[@]}" --json show license status | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("node status:       ", d["registration"]["status"], "/", d["authorization"]["status"], d["reservation"]["reserved"])'

# 4. Later: more licenses. SSM issues an update, node installs it and answers with a confirmation code.
"${ssm[@]}" reservation update "$sn" --license flex-standard=30 --license flex-premium=5 --out "$work/gap/auth2.xml" >/dev/null
"${node[@]}" --json license smart reservation install-file "$work/gap/auth2.xml" | json confirmation_code > "$work/gap/confirm.txt"
"${ssm[@]}" reservation confirm "$sn" @"$work/gap/confirm.txt" >/dev/null
echo "confirmation code:  $(cat "$work/gap/confirm.txt") (accepted by the SSM)"

# 5. Finally: give the licenses back.
"${node[@]}" --yes --json license smart reservation return | json return_code > "$work/gap/return.txt"
"${ssm[@]}" reservation return @"$work/gap/return.txt" >/dev/null
"${node[@]}" license smart reservation disable >/dev/null
echo "return code:        $(cut -c1-27 "$work/gap/return.txt")… (licenses back in the pool)"
"${ssm[@]}" --json license list --va DEFAULT | python3 -c '
import json, sys
left = [r["alias"] for r in json.load(sys.stdin)["licenses"] if r["reserved"]]
sys.exit(f"still reserved: {left}" if left else 0)'
echo "done"
