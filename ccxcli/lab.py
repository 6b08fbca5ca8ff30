"""The lab home: lab.json (clock, settings), the nodes, the SSM folders, the lab lock.

Layout:
    <home>/lab.json            schema, virtual clock, settings
    <home>/nodes/<node>/       state.json and the shell history of one node
    <home>/ssm/<name>/         one SSM stand-in (ssm.db, key.pem, public.pem)
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from ccxcli.clock import LabClock, wall_now
from ccxcli.errors import RuleError, StoreError, UsageError
from ccxcli.store import Lock, load_json, save_json

DEFAULT_NODE = "uccx"
DEFAULT_SSM = "cloud"
NODE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


def default_home() -> Path:
    """The platform's user data folder for ccxcli."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Application Support")
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ccxcli"


def resolve_home(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser()
    env = os.environ.get("CCX_HOME")
    return Path(env).expanduser() if env else default_home()


def check_node_name(name: str) -> str:
    if not NODE_NAME.match(name):
        raise UsageError(
            f"Invalid node name '{name}': use 1-32 lowercase letters, digits and dashes, starting with a letter."
        )
    return name


class Lab:
    """One lab home, opened under its lock. Loaded nodes are kept and written back by
    `commit` only if they changed."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / "lab.json"
        self._lock: Lock | None = None
        self.data: dict[str, Any] = {}
        self._nodes: dict[str, dict[str, Any]] = {}
        self._snap: dict[str, str] = {}
        self.created = False
        self._ssms: dict[str, Any] = {}

    # -- opening and committing -------------------------------------------------
    def __enter__(self) -> Lab:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"Cannot create the lab home {self.home}: {e.strerror}.") from None
        self._lock = Lock(self.home / ".lock")
        self._lock.__enter__()
        try:
            if self.path.exists():
                from ccxcli.core.shape import LAB, first_problem

                self.data = load_json(self.path, "lab")
                problem = first_problem(self.data, LAB)
                if problem:
                    raise StoreError(
                        f"The lab file {self.path} is corrupt ({problem}); it was left untouched for inspection."
                    )
                self.clock = LabClock.from_dict(self.data["clock"])
            else:
                self._create()
        except BaseException:
            self._lock.__exit__()
            raise
        self._snap["lab"] = _dump(self.data)
        return self

    def __exit__(self, *exc: object) -> None:
        for ssm in self._ssms.values():
            ssm.close()
        if self._lock is not None:
            self._lock.__exit__()

    def _create(self) -> None:
        """The embedded default: clock at wall time, node uccx, SSM cloud with demo licenses."""
        self.clock = LabClock(wall_now())
        self.data = {"schema": 1, "clock": self.clock.to_dict(), "created": self.clock.frozen}
        from ccxcli.ssm.db import Ssm

        Ssm.create(
            self.home / "ssm" / DEFAULT_SSM, account="Demo Smart Account", demo=True, now=self.clock.frozen
        ).close()
        self.add_node(DEFAULT_NODE)
        self.commit()
        self.created = True

    def commit(self) -> None:
        self.data["clock"] = self.clock.to_dict()
        if _dump(self.data) != self._snap.get("lab"):
            save_json(self.path, self.data)
            self._snap["lab"] = _dump(self.data)
        for name, node in self._nodes.items():
            text = _dump(node)
            if text != self._snap.get(name):
                save_json(self.node_dir(name) / "state.json", node)
                self._snap[name] = text

    def savepoint(self) -> dict[str, str]:
        """The in-memory state, to go back to if the next command is refused."""
        self.data["clock"] = self.clock.to_dict()
        return {"lab": _dump(self.data), **{n: _dump(node) for n, node in self._nodes.items()}}

    def restore(self, point: dict[str, str]) -> None:
        import json

        self.data = json.loads(point["lab"])
        self.clock = LabClock.from_dict(self.data["clock"])
        self._nodes = {n: json.loads(point[n]) for n in self._nodes if n in point}

    # -- nodes ------------------------------------------------------------------
    def node_dir(self, name: str) -> Path:
        return self.home / "nodes" / name

    def node_names(self) -> list[str]:
        d = self.home / "nodes"
        try:
            return sorted(p.name for p in d.iterdir() if (p / "state.json").exists())
        except OSError:
            return []

    def node(self, name: str) -> dict[str, Any]:
        if name not in self._nodes:
            path = self.node_dir(name) / "state.json"
            if not path.exists():
                raise UsageError(
                    f"No node '{name}' in lab {self.home}. Known nodes: {', '.join(self.node_names()) or 'none'}; "
                    f"create one with 'sim node create {name}'."
                )
            node = load_json(path, f"node '{name}' state")
            from ccxcli.core.shape import first_problem

            problem = first_problem(node)
            if problem:
                raise StoreError(
                    f"The node '{name}' state file {path} is corrupt ({problem}); it was left untouched for inspection."
                )
            self._nodes[name] = node
            self._snap[name] = _dump(node)
        return self._nodes[name]

    def add_node(self, name: str, license_type: str = "flex", classic: bool = False) -> dict[str, Any]:
        import uuid

        from ccxcli.core.engine import new_node

        check_node_name(name)
        if (self.node_dir(name) / "state.json").exists():
            raise RuleError(f"Node '{name}' already exists.")
        try:
            self.node_dir(name).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"Cannot create node folder: {e.strerror}.") from None
        node = new_node(name, uuid.uuid4().hex, self.now(), license_type, classic)
        node["time"] = self.now()
        node["schema"] = 1
        self._nodes[name] = node
        return node

    def delete_node(self, name: str) -> None:
        import shutil

        self.node(name)
        self._nodes.pop(name, None)
        self._snap.pop(name, None)
        shutil.rmtree(self.node_dir(name), ignore_errors=True)

    def nodes(self) -> list[dict[str, Any]]:
        return [self.node(n) for n in self.node_names()]

    # -- time ---------------------------------------------------------------------
    def now(self) -> int:
        return self.clock.now()

    # -- SSMs ---------------------------------------------------------------------
    def ssm_dir(self, name: str) -> Path:
        return self.home / "ssm" / name

    def ssm_names(self) -> list[str]:
        try:
            return sorted(p.name for p in (self.home / "ssm").iterdir() if (p / "ssm.db").exists())
        except OSError:
            return []

    def ssm(self, name: str) -> Any:
        """An open SSM of this lab (opened once per command)."""
        if name not in self._ssms:
            from ccxcli.ssm.db import Ssm

            self._ssms[name] = Ssm.open(self.ssm_dir(name))
        return self._ssms[name]


def _dump(d: dict[str, Any]) -> str:
    import json

    return json.dumps(d, sort_keys=True, separators=(",", ":"))
