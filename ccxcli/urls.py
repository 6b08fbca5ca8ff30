"""The URLs a node is given for its SSM (`https://host[:port]/path`), read the same way by
the node, the lab's SSH server (`sftp://` URLs) and the served SSM. Pure: no network."""

from __future__ import annotations

from ccxcli.errors import UsageError

GATEWAY_PATH = "/Transportgateway/services/DeviceRequestHandler"
SATELLITE_PATH = "/SmartTransport"
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_[]:")


def split_url(url: str) -> tuple[str, int | None, str]:
    """(host, port or None, path) of an `https://host[:port]/path` URL; UsageError otherwise."""
    text = url.strip()
    bad = UsageError(f"Invalid URL '{text[:120]}': expected https://<host>[:<port>]/<path>.")
    if not text.lower().startswith("https://") or not text.isprintable() or len(text) > 512:
        raise bad
    rest = text[8:]
    hostport, slash, path = rest.partition("/")
    if hostport.startswith("["):  # [IPv6]:port
        host, _, after = hostport.partition("]")
        host += "]"
        colon, port = (":", after[1:]) if after.startswith(":") else ("", "")
        if after and not colon:
            raise bad
    else:
        host, colon, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    host = host.lower()
    if not host or not set(host) <= _HOST_CHARS or (colon and not (port.isascii() and port.isdigit())):
        raise bad
    if colon and not 1 <= int(port) <= 65535:
        raise bad
    return host, int(port) if colon else None, slash + path


def url_host(url: str, mode: str) -> str:
    """The host of an SSM On-Prem URL; UsageError if it does not have the expected shape."""
    path = GATEWAY_PATH if mode == "gateway" else SATELLITE_PATH
    try:
        host, _, got = split_url(url)
    except UsageError:
        host, got = "", ""
    if not host or got.lower() != path.lower():
        raise UsageError(f"Invalid URL '{url.strip()[:120]}': expected https://<host>{path}.")
    return host


def name_mismatch(host: str, names: list[str]) -> str:
    """The seed's CN/SAN rule broken: the URL's host is not a name the SSM's certificate carries."""
    return (
        f"Communication with SSM On-Prem failed: certificate name mismatch, '{host}' is not the common "
        f"name or a subject alternative name of the SSM certificate ({', '.join(names)})."
    )
