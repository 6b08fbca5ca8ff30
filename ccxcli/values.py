"""Bounded input: every number has a range and every text that can reach a terminal is
checked at input, with a one-line UsageError (exit 2) naming what is wrong. Used by both
`ccx` and `ccx-ssm`, so the same value is refused the same way everywhere."""

from __future__ import annotations

from ccxcli.errors import UsageError

_DIGITS = frozenset("0123456789")
HEX_DIGITS = frozenset("0123456789abcdef")  # lower-case hexadecimal, as ids, MACs and secrets are written
MAX_COUNT = 100_000  # agents, ports, License Control limits, licenses per reservation line
MAX_QTY = 1_000_000  # licenses deposited or moved at once
MAX_ID = 2**53  # instance ids and the like
MAX_CODE = 64 * 1024  # a code or code file: an Authorization Code is about 1 kB per license line


def whole(text: object, name: str, lo: int = 0, hi: int = MAX_COUNT) -> int:
    """A whole number written with ASCII digits, from `lo` to `hi` (UsageError otherwise).
    Unicode digits ('²', '٣') and signs are refused: they are not what a user typed as a count."""
    s = str(text).strip()
    if not s or len(s) > 19 or not set(s) <= _DIGITS:
        raise UsageError(f"{name} takes a whole number from {lo} to {hi}; '{s[:40]}' is not one.")
    n = int(s)
    if not lo <= n <= hi:
        raise UsageError(f"{name} must be from {lo} to {hi}; {n} is out of range.")
    return n


def is_id(text: str) -> bool:
    """An id as the list commands show it (ASCII digits, within SQLite's integers)."""
    return 0 < len(text) <= 15 and text.isascii() and text.isdigit()


def plain_text(text: str, name: str, most: int = 64, empty: bool = False) -> str:
    """A name or free text without control characters (which would act on a terminal:
    a newline and `admin: ` in a name breaks automation that waits for the prompt)."""
    if len(text) > most:
        raise UsageError(f"{name} is too long ({len(text)} characters; at most {most}).")
    if not text.isprintable():
        raise UsageError(f"{name} may not contain control characters (newlines, escape sequences, tabs).")
    if not empty and not text.strip():
        raise UsageError(f"{name} may not be empty.")
    return text


_UNITS = {
    "": 1,
    "B": 1,
    "K": 1024,
    "KB": 1024,
    "KIB": 1024,
    "M": 1024**2,
    "MB": 1024**2,
    "MIB": 1024**2,
    "G": 1024**3,
    "GB": 1024**3,
    "GIB": 1024**3,
}


def size(text: str, name: str, lo: int = 0, hi: int = 1024**4) -> int:
    """A size in bytes: `64M`, `512K`, `1G`, `4096` (binary units: 1M = 1,048,576 bytes)."""
    s = text.strip().upper()
    digits = s.rstrip("BKMGI")
    unit = s[len(digits) :]
    if not digits or not set(digits) <= _DIGITS or len(digits) > 15 or unit not in _UNITS:
        raise UsageError(f"{name} takes a size such as 64M, 512K or 1G; '{text[:40]}' is not one.")
    n = int(digits) * _UNITS[unit]
    if not lo <= n <= hi:
        raise UsageError(f"{name} must be from {lo} to {hi} bytes; {text.strip()} is out of range.")
    return n


_HOST = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_:")


def host_name(text: str, name: str) -> str:
    """A certificate name: a host name or an IP address, lowercase."""
    host = text.strip().lower()
    if not host or len(host) > 253 or not set(host) <= _HOST:
        raise UsageError(f"{name} must be a host name or an IP address; '{text[:60]}' is not one.")
    return host


def parse_listen(text: str, allow_remote: bool, example: str = "127.0.0.1:2222") -> tuple[str, int]:
    """`HOST:PORT` to listen on (port 0 picks one); a non-loopback host needs `allow_remote`."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"Invalid address '{text}': use HOST:PORT, e.g. {example} (port 0 picks a free one).")
    host = host.strip("[]") or "127.0.0.1"
    if not allow_remote and not is_loopback(host):
        raise UsageError(f"'{host}' is not a loopback address; add --allow-remote to serve to other machines.")
    return host, int(port)


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
