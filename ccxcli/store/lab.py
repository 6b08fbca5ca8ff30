"""The lab store: lab.json (clock, settings), the nodes' state files, the SSM folders, the
lab lock. It loads and saves, and nothing else: it never moves the clock, delivers a message
or calls the network (the session layer, `ccxcli.session.context`, does, and decides what a new lab
holds).

Layout:
    <home>/lab.json            schema, virtual clock, settings
    <home>/nodes/<node>/       state.json and the shell history of one node
    <home>/ssm/<name>/         one SSM stand-in (ssm.db, key.pem, public.pem)

A node whose state file is corrupt stops only the commands that use it.
"""

from __future__ import annotations

import os
import sys

from ccxcli.clock import MAX_TIME, LabClock, parse_time, wall_now
from ccxcli.core.shape import LAB, as_node, first_problem
from ccxcli.errors import RuleError, StoreError, UsageError, os_problem
from ccxcli.runtime import tunables
from ccxcli.store.files import Lock, load_json, private_dir, save_json

TYPE_CHECKING = False  # neither `typing` nor `pathlib` is imported at run time: start-up cost
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path
    from typing import Any

    from ccxcli.core.state import NodeState

    PathLike = str | os.PathLike[str]

DEFAULT_NODE = "uccx"
DEFAULT_SSM = "cloud"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def default_home(environ: Mapping[str, str]) -> str:
    """The platform's user data folder for ccxcli."""
    user = os.path.expanduser("~")
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or os.path.join(user, "AppData", "Local")
    elif sys.platform == "darwin":
        base = os.path.join(user, "Library", "Application Support")
    else:
        base = environ.get("XDG_DATA_HOME") or os.path.join(user, ".local", "share")
    return os.path.join(base, "ccxcli")


def home_dir(arg: str | None, environ: Mapping[str, str]) -> str:
    """The lab home: `--home`, else $CCX_HOME, else the platform data folder (a `str`)."""
    if arg:
        return os.path.expanduser(arg)
    env = environ.get("CCX_HOME")
    return os.path.expanduser(env) if env else default_home(environ)


def resolve_home(arg: str | None, environ: Mapping[str, str]) -> Path:
    """`home_dir` as a `pathlib.Path`, for the commands that work with paths."""
    from pathlib import Path

    return Path(home_dir(arg, environ))


def ssm_dir(home: Path, name: str) -> Path:
    """The folder of the lab's SSM `name` (the lab's layout is known here only)."""
    return home / "ssm" / name


def lab_of(folder: Path) -> Path | None:
    """The lab home an SSM folder belongs to (`<home>/ssm/<name>`), or None for a folder of its own."""
    lab = folder.parent.parent
    return lab if folder.parent.name == "ssm" and (lab / "lab.json").exists() else None


def ssm_now(folder: Path) -> int:
    """The time of an SSM: its lab's virtual time when it is part of a lab, else the wall
    clock (read without the lab lock: the clock only ever moves forward)."""
    lab = lab_of(folder)
    if lab is None:
        return wall_now()
    return LabClock.from_dict(load_json(lab / "lab.json", "lab")["clock"]).now()


def valid_name(name: str) -> bool:
    """1-32 lowercase letters, digits and dashes, starting with a letter (node and SSM names)."""
    return 0 < len(name) <= 32 and "a" <= name[0] <= "z" and set(name) <= _NAME_CHARS


def check_node_name(name: str) -> str:
    if not valid_name(name):
        raise UsageError(
            f"Invalid node name '{name}': use 1-32 lowercase letters, digits and dashes, starting with a letter."
        )
    return name


_TRASH = ".reset-"
RESET_HINT = "(or start over: 'ccx --yes sim lab reset')."


def discard(home: PathLike) -> None:
    """Move lab.json, the nodes and the SSMs into one trash folder, then delete it; the
    caller holds the lab lock. lab.json goes first: from then on the lab does not exist,
    and a process killed half-way leaves a lab that the next opening finishes resetting."""
    import secrets

    home = os.fspath(home)
    trash = os.path.join(home, f"{_TRASH}{secrets.token_hex(4)}")
    try:
        private_dir(trash)
        for name in ("lab.json", "lab.cache", "nodes", "ssm"):  # lab.cache: left by earlier versions
            if os.path.exists(os.path.join(home, name)):
                os.replace(os.path.join(home, name), os.path.join(trash, name))
    except OSError as e:
        raise os_problem(e, "reset the lab") from None
    _empty_trash(home)


def trash_marker(home: PathLike) -> str:
    """An empty trash folder kept while a lab's files are being replaced (a snapshot
    loaded): if the process dies before the new lab.json is written, the next opening finds
    it, puts the half-copied nodes and SSMs in it and starts a fresh lab. The caller removes
    it once lab.json is written."""
    import secrets

    marker = os.path.join(os.fspath(home), f"{_TRASH}{secrets.token_hex(4)}")
    private_dir(marker)
    return marker


def _empty_trash(home: str) -> None:
    try:
        trashes = sorted(e.path for e in os.scandir(home) if e.name.startswith(_TRASH))
    except OSError:
        return
    if not trashes:
        return
    import shutil

    try:
        for trash in trashes:
            for name in ("nodes", "ssm"):  # left behind by a reset killed after lab.json moved
                if os.path.exists(os.path.join(home, name)):
                    os.replace(os.path.join(home, name), os.path.join(trash, name))
            shutil.rmtree(trash)
    except OSError as e:
        raise os_problem(e, "finish resetting the lab") from None


def reset_home(home: PathLike) -> None:
    """`sim lab reset` outside a shell: works on a lab whose files are corrupt, too."""
    private_dir(home)
    with Lock(os.path.join(os.fspath(home), ".lock")):
        discard(home)


def _dump(d: Mapping[str, Any]) -> bytes:
    """A snapshot to tell whether a state changed (marshal version 2: no object sharing, so
    equal states give equal bytes; `json` is not needed by a command that changes nothing)."""
    import marshal

    return marshal.dumps(dict(d), 2)


class LabStore:
    """One lab home, opened under its lock. Loaded nodes are kept and written back by
    `commit` only if they changed. A lab that does not exist yet is made by `create`
    (given by the session layer: what a fresh lab holds), under the same lock."""

    def __init__(self, home: PathLike, create: Callable[[LabStore], None] | None = None) -> None:
        self.root = os.fspath(home)
        self._create_content = create
        self.path = os.path.join(self.root, "lab.json")
        self._lock: Lock | None = None
        self.data: dict[str, Any] = {}
        self._nodes: dict[str, NodeState] = {}
        self._snap: dict[str, bytes] = {}
        self.created = False
        self.commits = 0
        # told when this opening ends or its files are replaced under its lock: what others
        # keep open on it (the session layer's SSM databases) is let go then
        self.on_release: list[Callable[[], None]] = []

    @property
    def home(self) -> Path:
        """The lab home as a `pathlib.Path` (for the commands that work with paths)."""
        from pathlib import Path

        return Path(self.root)

    # -- opening and committing -------------------------------------------------
    def __enter__(self) -> LabStore:
        private_dir(self.root)
        self._lock = Lock(os.path.join(self.root, ".lock"))
        self._lock.__enter__()
        try:
            if os.path.exists(self.path):
                try:
                    self.data = load_json(self.path, "lab")
                except StoreError as e:
                    if "corrupt" not in e.message:
                        raise
                    raise StoreError(f"{e.message[:-1]} {RESET_HINT}") from None
                problem = first_problem(self.data, LAB)
                if problem:
                    raise StoreError(
                        f"The lab file {self.path} is corrupt ({problem}); it was left untouched for inspection "
                        + RESET_HINT
                    )
                self.clock = LabClock.from_dict(self.data["clock"])
            else:
                _empty_trash(self.root)  # a reset killed half-way is finished first
                self._create()
        except BaseException:
            self._lock.__exit__()
            raise
        self._snap["lab"] = _dump(self.data)
        return self

    def __exit__(self, *exc: object) -> None:
        self._release()
        if self._lock is not None:
            self._lock.__exit__()
            self._lock = None

    def _create(self) -> None:
        """A new lab: clock at wall time (or CCX_LAB_START), then what the session layer puts in a fresh lab."""
        start = tunables().lab_start
        self.clock = LabClock(parse_time(start, "CCX_LAB_START") if start else wall_now())
        self.data = {"schema": 1, "clock": self.clock.to_dict(), "created": self.clock.frozen}
        if self._create_content is not None:
            self._create_content(self)
        self.commit()
        self.created = True

    def reset(self) -> None:
        """Start over (`sim lab reset`), under the lock this lab holds: its nodes, SSMs and
        lab.json are discarded and the embedded default is created again."""
        self.close_all()
        discard(self.root)
        self._create()

    def close_all(self) -> None:
        """Forget what this lab has loaded (nodes, open SSM databases), before its files are
        replaced under the lock it holds (a reset, a snapshot loaded)."""
        self._release()
        self._nodes.clear()
        self._snap.clear()

    def _release(self) -> None:
        for listener in self.on_release:
            listener()

    def reload(self) -> None:
        """Read lab.json again after its files were replaced (a snapshot loaded)."""
        self.data = load_json(self.path, "lab")
        problem = first_problem(self.data, LAB)
        if problem:
            raise StoreError(f"The lab file {self.path} is corrupt ({problem}). {RESET_HINT}")
        self.clock = LabClock.from_dict(self.data["clock"])
        self._snap["lab"] = _dump(self.data)

    def commit(self) -> None:
        """Write what changed: the nodes first, then lab.json (so a clock move recorded
        there stays recorded until every node it moved is saved)."""
        self.data["clock"] = self.clock.to_dict()
        for name, node in self._nodes.items():
            text = _dump(node)
            if text != self._snap.get(name):
                save_json(self._state_file(name), node)
                self._snap[name] = text
                self.commits += 1
        text = _dump(self.data)
        if text != self._snap.get("lab"):
            save_json(self.path, self.data)
            self._snap["lab"] = text
            self.commits += 1

    def savepoint(self) -> tuple[int, dict[str, bytes]]:
        """The in-memory state, to go back to if the next command is refused."""
        self.data["clock"] = self.clock.to_dict()
        return self.commits, {"lab": _dump(self.data), **{n: _dump(node) for n, node in self._nodes.items()}}

    def restore(self, point: tuple[int, dict[str, bytes]]) -> None:
        """Go back to a savepoint; when the command saved facts before it was refused (a
        message recorded, a failed attempt logged), go back to what was saved instead."""
        import marshal

        commits, dumps = point
        if self.commits != commits:
            dumps = self._snap
        self.data = marshal.loads(dumps["lab"])
        self.clock = LabClock.from_dict(self.data["clock"])
        self._nodes = {n: marshal.loads(dumps[n]) for n in self._nodes if n in dumps}

    # -- nodes ------------------------------------------------------------------
    def node_dir(self, name: str) -> Path:
        return self.home / "nodes" / name

    def _state_file(self, name: str) -> str:
        return os.path.join(self.root, "nodes", name, "state.json")

    def loaded(self) -> dict[str, NodeState]:
        """The nodes loaded so far (what a commit may write)."""
        return dict(self._nodes)

    def node_names(self) -> list[str]:
        try:
            entries = os.scandir(os.path.join(self.root, "nodes"))
        except OSError:
            return []
        with entries:
            return sorted(
                e.name for e in entries if valid_name(e.name) and os.path.exists(os.path.join(e.path, "state.json"))
            )

    def load(self, name: str) -> NodeState:
        """A node's state as stored (no catch-up); StoreError if it is corrupt."""
        if name not in self._nodes:
            path = self._state_file(name)
            if not os.path.exists(path):
                raise UsageError(
                    f"No node '{name}' in lab {self.root}. Known nodes: {', '.join(self.node_names()) or 'none'}; "
                    f"create one with 'sim node create {name}'."
                )
            node = as_node(load_json(path, f"node '{name}' state"))
            if isinstance(node, str):
                raise StoreError(
                    f"The node '{name}' state file {path} is corrupt ({node}); it was left untouched for "
                    f"inspection (repair it, or remove it with 'sim node delete {name}')."
                )
            self._nodes[name] = node
            self._snap[name] = _dump(node)
        return self._nodes[name]

    def add_node(self, name: str, license_type: str = "flex", classic: bool = False, **extra: Any) -> NodeState:
        import uuid

        from ccxcli.core.engine import new_node

        check_node_name(name)
        if os.path.exists(self._state_file(name)):
            raise RuleError(f"Node '{name}' already exists.")
        private_dir(os.path.join(self.root, "nodes", name))
        node = new_node(name, uuid.uuid4().hex, self.now(), license_type, classic, **extra)
        node["time"] = self.now()
        node["schema"] = 1
        self._nodes[name] = node
        return node

    def place_node(self, name: str, node: NodeState) -> None:
        """A node made elsewhere (a scenario built for it in a temporary lab), kept here as
        `name`; written by the next commit."""
        check_node_name(name)
        if os.path.exists(self._state_file(name)):
            raise RuleError(f"Node '{name}' already exists.")
        private_dir(os.path.join(self.root, "nodes", name))
        node["name"] = name
        self._nodes[name] = node

    def delete_node(self, name: str) -> None:
        import shutil

        self._nodes.pop(name, None)
        self._snap.pop(name, None)
        try:
            shutil.rmtree(os.path.join(self.root, "nodes", name))
        except FileNotFoundError:
            pass
        except OSError as e:
            raise os_problem(e, "delete the node folder") from None

    # -- time ---------------------------------------------------------------------
    def now(self) -> int:
        return min(self.clock.now(), MAX_TIME)

    # -- SSMs ---------------------------------------------------------------------
    def ssm_dir(self, name: str) -> Path:
        return ssm_dir(self.home, name)

    def ssm_names(self) -> list[str]:
        try:
            entries = os.scandir(os.path.join(self.root, "ssm"))
        except OSError:
            return []
        with entries:
            return sorted(e.name for e in entries if os.path.exists(os.path.join(e.path, "ssm.db")))

    def trusted_keys(self) -> list[bytes]:
        """The SSM public keys this lab's nodes trust: its own SSMs' (the first key of one that
        changed it, `ccx-ssm key roll`) and those added with `sim ssm trust` (for code
        signatures and for TLS alike)."""
        from ccxcli.store.files import read_bounded

        keys = []
        for name in self.ssm_names():
            folder = self.ssm_dir(name)
            first = folder / "root.pem"  # an SSM that changed its key: the lab trusts its first one
            try:
                keys.append(read_bounded(first if first.exists() else folder / "public.pem", "SSM public key", 10_000))
            except Exception:  # noqa: BLE001 - an unreadable key of one SSM must not stop the others
                continue
        return keys + [k.encode() for k in self.added_keys()]

    def added_keys(self) -> list[str]:
        """The SSM public keys (PEM) added with `sim ssm trust`."""
        return list(self.data.get("trusted", []))

    def set_added_keys(self, pems: list[str]) -> None:
        self.data["trusted"] = list(pems)

    def proxies(self) -> list[dict[str, Any]]:
        """The lab network's HTTP proxies (`sim proxy add`)."""
        return [dict(p) for p in self.data.get("proxies", [])]

    def set_proxies(self, proxies: list[dict[str, Any]]) -> None:
        if proxies:
            self.data["proxies"] = proxies
        else:
            self.data.pop("proxies", None)

    def cisco_url(self) -> str | None:
        """Where the direct and proxy transports reach Cisco SSM: a served SSM's URL, or None
        for the lab's own cloud SSM (`sim ssm cisco`)."""
        url = self.data.get("cisco")
        return str(url) if url else None

    def set_cisco_url(self, url: str | None) -> None:
        if url:
            self.data["cisco"] = url
        else:
            self.data.pop("cisco", None)
