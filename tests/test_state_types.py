"""The node's state is declared once (`ccxcli/core/state.py`, typed) and the state-file
validator (`ccxcli/core/shape.py`) is checked against that declaration, key by key: the same
keys, the same required and optional ones, at every level the validator spells out."""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin, get_type_hints

from ccxcli.core import shape, state


def _fields(td: Any) -> dict[str, tuple[bool, Any]]:
    """name -> (required, type) of a TypedDict (NotRequired read from the hints themselves:
    `__required_keys__` is wrong under postponed annotations)."""
    out = {}
    for name, hint in get_type_hints(td, include_extras=True).items():
        required = get_origin(hint) is not state.NotRequired  # typing's, or typing_extensions' on 3.10
        out[name] = (required, get_args(hint)[0] if not required else hint)
    return out


def _typeddict_in(hint: Any) -> Any:
    """The TypedDict a hint names, through `X | None`; None if it names none."""
    if typing.is_typeddict(hint):
        return hint
    if get_origin(hint) in (Union, types.UnionType):
        found = [a for a in get_args(hint) if typing.is_typeddict(a)]
        return found[0] if len(found) == 1 else None
    return None


def _compare(spec: dict[str, Any], td: Any, where: str) -> list[str]:
    problems = []
    fields = _fields(td)
    spec_keys = {k.lstrip("?"): not k.startswith("?") for k in spec}
    for name in sorted(set(spec_keys) | set(fields)):
        if name not in fields:
            problems.append(f"{where}.{name}: checked by the validator, not declared in state.py")
        elif name not in spec_keys:
            problems.append(f"{where}.{name}: declared in state.py, not checked by the validator")
        elif spec_keys[name] != fields[name][0]:
            problems.append(f"{where}.{name}: required in one, optional in the other")
        else:
            sub = spec["?" + name] if "?" + name in spec else spec[name]
            inner = _typeddict_in(fields[name][1])
            if isinstance(sub, dict):
                if inner is None:
                    problems.append(f"{where}.{name}: a mapping for the validator, not a TypedDict in state.py")
                else:
                    problems += _compare(sub, inner, f"{where}.{name}")
    return problems


def test_the_validator_checks_exactly_the_declared_node_state() -> None:
    assert _compare(shape.NODE, state.NodeState, "node") == []


def test_the_comparison_sees_a_drift() -> None:
    drifted = {k: v for k, v in shape.NODE.items() if k != "network"} | {"?colour": shape.STR}
    problems = _compare(drifted, state.NodeState, "node")
    assert "node.network: declared in state.py, not checked by the validator" in problems
    assert "node.colour: checked by the validator, not declared in state.py" in problems
    reg = {k: v for k, v in shape.NODE["reg"].items() if k != "?initial"} | {"initial": shape._int}
    nested = dict(shape.NODE, reg=reg)  # required here, NotRequired in state.py
    assert "node.reg.initial: required in one, optional in the other" in _compare(nested, state.NodeState, "node")
