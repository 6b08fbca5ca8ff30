"""The house plan holds (docs/architecture.md): the package's modules import one another
without a circle, lazy (function-local) imports counted, and each layer imports only the
layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ccxcli"

# Each layer, and the layers it may import (its own included). Bottom to top.
BELOW_SESSION = {"base", "core", "store", "protocol", "ssm.core"}
MAY_IMPORT: dict[str, set[str]] = {
    "base": {"base"},
    "core": {"base", "core"},
    "store": {"base", "core", "store"},
    "protocol": {"base", "core", "protocol"},
    "ssm.core": {"base", "core", "store", "protocol", "ssm.core"},
    "session": BELOW_SESSION | {"session"},
    "cli": BELOW_SESSION | {"session", "cli"},
    "ssm.web": BELOW_SESSION | {"ssm.web"},
    "ssm.cli": BELOW_SESSION | {"session", "ssm.web", "ssm.cli"},
    "entry": {"cli"},
    "api": BELOW_SESSION | {"session", "cli", "ssm.cli", "api"},  # the Python API and pytest plugin: on top
    "clients": {"clients"},  # drivers for automation libraries: standalone, copied into users' projects
}


def layer(module: str) -> str:
    parts = module.split(".")
    if module == "ccxcli.__main__":
        return "entry"
    if module in ("ccxcli", "ccxcli.ssm") or len(parts) == 2 and not (PACKAGE / parts[1]).is_dir():
        return "base"  # the base modules, and the two packages' own (empty) modules
    if parts[1] == "ssm":
        assert len(parts) > 2 and parts[2] in ("core", "cli", "web"), f"{module}: every SSM module is in a layer"
        return f"ssm.{parts[2]}"
    return parts[1]


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports(mods: dict[str, Path]) -> dict[str, set[str]]:
    """Every ccxcli module each module imports, at the top or inside a function."""
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [base, *(f"{base}.{a.name}" for a in node.names)]
            graph[name] |= {t for t in targets if t in mods and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_lazy_imports_counted() -> None:
    assert cycles(imports(modules())) == []


def upward(graph: dict[str, set[str]]) -> list[str]:
    """Every import of a layer the importing layer may not use."""
    return sorted(
        f"{m} ({layer(m)}) imports {t} ({layer(t)})"
        for m, targets in graph.items()
        for t in targets
        if layer(t) not in MAY_IMPORT[layer(m)]
    )


def test_each_layer_imports_only_the_layers_below() -> None:
    assert upward(imports(modules())) == []


def test_the_checks_can_fail() -> None:
    """A circle and an upward import are seen (so the two tests above are not vacuous)."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    graph = {
        "ccxcli.store.lab": {"ccxcli.session.life", "ccxcli.errors"},  # the store reaching up
        "ccxcli.ssm.web.portal": {"ccxcli.ssm.cli.app", "ccxcli.ssm.core.db"},  # a sibling
        "ccxcli.errors": set(),
    }
    assert upward(graph) == [
        "ccxcli.ssm.web.portal (ssm.web) imports ccxcli.ssm.cli.app (ssm.cli)",
        "ccxcli.store.lab (store) imports ccxcli.session.life (session)",
    ]


def test_the_lab_store_neither_moves_the_clock_nor_reaches_an_ssm() -> None:
    """The lab store loads and saves: nothing in it imports the catch-up, the exchanges,
    the transports or the SSM."""
    graph = imports(modules())
    reached = graph["ccxcli.store.lab"] | graph["ccxcli.store.files"]
    assert not {t for t in reached if layer(t) in ("session", "protocol", "ssm.core")}


def test_only_the_ssm_core_speaks_sql() -> None:
    """The portal, the API and the CLIs ask the SSM core; they run no SQL of their own."""
    import re

    sql = re.compile(r"\.execute\(|\bSELECT\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b")
    found = [
        name
        for name, path in modules().items()
        if layer(name) not in ("ssm.core",) and sql.search(path.read_text(encoding="utf-8"))
    ]
    assert found == [], found


MAX_LINES = 600


def test_no_module_is_over_600_lines() -> None:
    """Rooms that fit in a head: a module that grows past this is split along its seams."""
    sizes = {
        str(p.relative_to(PACKAGE.parent)): len(p.read_text(encoding="utf-8").splitlines())
        for p in PACKAGE.rglob("*.py")
    }
    big = {name: n for name, n in sizes.items() if n > MAX_LINES}
    assert not big, big
    assert max(sizes.values()) > MAX_LINES // 2  # the count sees real modules


def test_the_web_has_one_boundary() -> None:
    """Every route of the served SSM (the portal, ccxcli's API, Cisco's API, OAuth2, node
    messages) turns what
    its work raises into an answer in one place, `site.guarded`; redirects and HTTP statuses
    are values a handler returns (`site.Redirect`, `site.Answer`), never raised or smuggled in
    a body. Cisco's calls that take several requests answer for each item (`cssm.one`); the
    Reserve Licenses wizard brings a refusal back to its step; a batch of node messages carries
    each message's refusal back to the request that sent it (`gateway._outcome`), where
    `guarded` answers it."""
    catchers = []
    for name, path in modules().items():
        if layer(name) != "ssm.web":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for h in ast.walk(fn):
                    if (
                        isinstance(h, ast.ExceptHandler)
                        and isinstance(h.type, ast.Name)
                        and h.type.id in ("BaseException", "Exception")
                    ):
                        catchers.append(f"{name}.{fn.name}")
        assert '"_http"' not in path.read_text(encoding="utf-8"), name
    wizard = {c for c in catchers if c.startswith("ccxcli.ssm.web.portal_wizard.")}
    assert set(catchers) - wizard == {
        "ccxcli.ssm.web.cssm.one",
        "ccxcli.ssm.web.site.guarded",
        "ccxcli.ssm.web.gateway._outcome",
    }, catchers
    assert len(wizard) == 3  # its three steps that send a form


def test_the_ssm_side_is_typed() -> None:
    """The SSM's rows, the portal's session and drafts, template values and node messages have
    types of their own (`ssm/core/rows.py`, `ssm/web/site.py`): `Any` is left only where a value
    is JSON of any shape on its way through (at most 60 mentions in `ssm/`, imports counted)."""
    import re

    count = sum(len(re.findall(r"\bAny\b", p.read_text(encoding="utf-8"))) for p in (PACKAGE / "ssm").rglob("*.py"))
    assert 0 < count <= 60, count


def test_the_formatter_formats_everything() -> None:
    """ruff formats every module as it is (CI runs no linter, so this holds it): no statement is
    kept out of the formatter with `fmt: skip` or `fmt: off`."""
    marks = ("fmt: " + "skip", "fmt: " + "off")  # (spelt apart: this file is not held by them)
    held = [p.name for p in PACKAGE.rglob("*.py") if any(m in p.read_text(encoding="utf-8") for m in marks)]
    assert held == [], held
