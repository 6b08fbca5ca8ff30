"""`--json` output without the `json` package: `json.dumps(value, indent=2, sort_keys=True)`,
byte for byte (tests/test_store_clock.py checks it against `json` on generated documents).

`json.encoder` compiles regular expressions at import, which brings in `re` and `enum`;
a one-shot `ccx --json show license status` would pay that on every run. The string escaping
is the same C function `json` uses (`_json.encode_basestring_ascii`)."""

from __future__ import annotations

try:
    from _json import encode_basestring_ascii
except ImportError:  # an interpreter without CPython's accelerator: the public one (imports re)
    from json.encoder import encode_basestring_ascii

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def dumps(value: Any) -> str:
    out: list[str] = []
    _write(value, out, "\n")
    return "".join(out)


def _write(v: Any, out: list[str], nl: str) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(encode_basestring_ascii(v))
    elif isinstance(v, int):
        out.append(int.__repr__(v))
    elif isinstance(v, float):
        out.append(_float(v))
    elif isinstance(v, dict):
        if not v:
            out.append("{}")
            return
        inner = nl + "  "
        out.append("{")
        first = True
        for k in sorted(v):
            out.append(inner if first else "," + inner)
            first = False
            out.append(encode_basestring_ascii(_key(k)))
            out.append(": ")
            _write(v[k], out, inner)
        out.append(nl + "}")
    elif isinstance(v, (list, tuple)):
        if not v:
            out.append("[]")
            return
        inner = nl + "  "
        out.append("[")
        for i, item in enumerate(v):
            out.append(inner if i == 0 else "," + inner)
            _write(item, out, inner)
        out.append(nl + "]")
    else:
        raise TypeError(f"Object of type {type(v).__name__} is not JSON serializable")


def _float(f: float) -> str:
    if f != f:
        return "NaN"
    if f == float("inf"):
        return "Infinity"
    if f == -float("inf"):
        return "-Infinity"
    return float.__repr__(f)


def _key(k: Any) -> str:
    if isinstance(k, str):
        return k
    if k is True:
        return "true"
    if k is False:
        return "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return _float(k)
    if isinstance(k, int):
        return int.__repr__(k)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(k).__name__}")
