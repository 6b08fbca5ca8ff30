"""A node's proof that it sent a message to a served SSM (issue 32): the node makes a secret
at its first registration and gives it to the SSM then (over TLS); every later message carries
an HMAC-SHA256 of its operation and arguments keyed by that secret. The product instance's
UUID, which anyone who can read the portal sees, proves nothing on its own.

Our reading of a Smart Agent's ID certificate (a key the node holds, the SSM learned at
registration): a shared secret rather than a key pair, so proving a message costs the node
no public-key operation (nor the import of `cryptography` on a one-shot command)."""

from __future__ import annotations

import hashlib
import hmac
import json


def message_mac(proof: str, op: str, args: dict[str, object]) -> str:
    """The MAC of a message: its operation and arguments (canonical JSON, `mac` aside)."""
    body = json.dumps(
        {"op": op, "args": {k: v for k, v in args.items() if k != "mac"}}, sort_keys=True, separators=(",", ":")
    )
    return hmac.new(bytes.fromhex(proof), body.encode(), hashlib.sha256).hexdigest()


def proven(proof: str, op: str, args: dict[str, object]) -> bool:
    """Whether a message carries the MAC its sender's secret makes."""
    mac = args.get("mac")
    return isinstance(mac, str) and hmac.compare_digest(mac, message_mac(proof, op, args))
