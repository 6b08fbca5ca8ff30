"""Lab snapshots (`sim lab save|load|export|import`): the nodes, the SSMs and the clock of a
lab, taken together under the lab lock and put back together.

Layout: `<home>/snapshots/<name>/` holds `lab.json`, `nodes/<node>/…`, `ssm/<ssm>/…` (each
SSM database copied with SQLite's backup, so a copy is consistent even while a served SSM
writes) and `snapshot.json` (when, what). A snapshot is written beside its final name and
renamed into place; loading copies the nodes and SSMs first and lab.json last, so a process
killed half-way leaves the old lab's trash and no lab.json: the next opening finishes
discarding and starts a fresh lab (never a mix). `sim lab reset` keeps the snapshots.

An exported snapshot is one `.tar.gz`; importing checks every member (regular files under
the known folders only, bounded sizes) before anything is unpacked.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import tarfile

from ccxcli.core.shape import LAB, first_problem
from ccxcli.errors import RuleError, StoreError, UsageError, os_problem
from ccxcli.faults import kill_point
from ccxcli.store.files import private_dir, write_atomic
from ccxcli.store.lab import LabStore, discard, trash_marker, valid_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

FOLDER = "snapshots"
MAX_MEMBER = 256 * 1024 * 1024  # one file of an exported snapshot (an SSM database of a large lab)
MAX_MEMBERS = 100_000
MAX_TOTAL = 1024 * 1024 * 1024  # everything an exported snapshot unpacks to (a gzip bomb stops here, unwritten)
_SKIP = (".lock", ".init.lock", "-journal", "-wal", "-shm", ".tmp", ".new")


def check_name(name: str) -> str:
    if not valid_name(name):
        raise UsageError(
            f"Invalid snapshot name '{name[:40]}': use 1-32 lowercase letters, digits and dashes, "
            "starting with a letter."
        )
    return name


def folder(home: str, name: str) -> str:
    return os.path.join(home, FOLDER, check_name(name))


def names(home: str) -> list[dict[str, Any]]:
    """The lab's snapshots: name, lab time, nodes and SSMs, oldest first."""
    out = []
    base = os.path.join(home, FOLDER)
    try:
        entries = sorted(e.name for e in os.scandir(base) if valid_name(e.name))
    except OSError:
        return []
    for name in entries:
        try:
            with open(os.path.join(base, name, "snapshot.json"), encoding="utf-8") as f:
                info = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(info, dict):
            out.append({"name": name, **{k: info.get(k) for k in ("lab_time", "saved", "nodes", "ssms")}})
    return sorted(out, key=lambda s: str(s["saved"]))


def _copy_files(src: str, dst: str) -> None:
    """The regular files of one node or SSM folder (locks and journals left out)."""
    private_dir(dst)
    for e in os.scandir(src):
        if e.is_file(follow_symlinks=False) and not e.name.endswith(_SKIP) and e.name != "ssm.db":
            shutil.copyfile(e.path, os.path.join(dst, e.name))
            os.chmod(os.path.join(dst, e.name), 0o600)
    if os.path.exists(os.path.join(src, "ssm.db")):
        _backup(os.path.join(src, "ssm.db"), os.path.join(dst, "ssm.db"))


def _backup(src: str, dst: str) -> None:
    try:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(dst)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    except sqlite3.Error as e:
        raise StoreError(f"Cannot copy the SSM database {src}: {e}.") from None
    os.chmod(dst, 0o600)


def save(lab: LabStore, name: str, wall: int) -> dict[str, Any]:
    """Snapshot the lab (the caller holds it open and has committed it): replaces a snapshot
    of the same name only once the new one is complete."""
    target = folder(lab.root, name)
    tmp = os.path.join(lab.root, FOLDER, f".{name}.{secrets.token_hex(4)}.tmp")
    nodes, ssms = lab.node_names(), lab.ssm_names()
    try:
        private_dir(tmp)
        for n in nodes:
            _copy_files(os.path.join(lab.root, "nodes", n), os.path.join(tmp, "nodes", n))
        for s in ssms:
            _copy_files(os.fspath(lab.ssm_dir(s)), os.path.join(tmp, "ssm", s))
        shutil.copyfile(lab.path, os.path.join(tmp, "lab.json"))
        info = {"name": name, "lab_time": lab.now(), "saved": wall, "nodes": nodes, "ssms": ssms}
        write_atomic(os.path.join(tmp, "snapshot.json"), json.dumps(info, indent=2).encode())
        old = None
        if os.path.exists(target):
            old = f"{tmp}.old"
            os.replace(target, old)
        os.replace(tmp, target)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise os_problem(e, "save the snapshot") from None
    return info


def existing(home: str, name: str) -> dict[str, Any]:
    """A snapshot that can be loaded: its description (UsageError: none of that name)."""
    src = folder(home, name)
    if not os.path.exists(os.path.join(src, "lab.json")):
        known = ", ".join(s["name"] for s in names(home)) or "none"
        raise UsageError(f"No snapshot '{name}' in lab {home}. Known: {known}; save one with 'sim lab save NAME'.")
    return _check(src)


def load(lab: LabStore, name: str) -> dict[str, Any]:
    """Replace the lab's nodes, SSMs and clock with the snapshot's (under the lab's lock)."""
    existing(lab.root, name)
    return load_from(lab, folder(lab.root, name))


def load_from(lab: LabStore, src: str) -> dict[str, Any]:
    """Replace the lab's nodes, SSMs and clock with those of the snapshot folder `src`."""
    info = _check(src)
    lab.close_all()
    try:
        discard(lab.root)
        marker = trash_marker(lab.root)
        for sub in ("nodes", "ssm"):
            base = os.path.join(src, sub)
            for n in sorted(os.listdir(base)) if os.path.isdir(base) else []:
                _copy_files(os.path.join(base, n), os.path.join(lab.root, sub, n))
        kill_point("snapshot-before-lab")
        with open(os.path.join(src, "lab.json"), "rb") as f:
            write_atomic(lab.path, f.read())  # last: from here on the lab is the snapshot's
        os.rmdir(marker)
    except OSError as e:
        raise os_problem(e, "load the snapshot") from None
    lab.reload()
    return info


def _check(src: str) -> dict[str, Any]:
    """A snapshot folder that holds a lab (its lab.json is well formed)."""
    try:
        with open(os.path.join(src, "lab.json"), encoding="utf-8") as f:
            data = json.load(f)
        with open(os.path.join(src, "snapshot.json"), encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError):
        raise StoreError(f"The snapshot in {src} is damaged (lab.json or snapshot.json unreadable).") from None
    if not isinstance(data, dict) or first_problem(data, LAB) or not isinstance(info, dict):
        raise StoreError(f"The snapshot in {src} is damaged (its lab.json is not a lab).")
    return info


def export(home: str, name: str, path: str) -> int:
    """Write the snapshot as one .tar.gz (atomically); its size in bytes."""
    src = folder(home, name)
    existing(home, name)
    tmp = f"{path}.{secrets.token_hex(4)}.tmp"
    try:  # private (0600): a snapshot holds the SSM's private key and the nodes' secrets
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            for root, dirs, files in os.walk(src):
                dirs.sort()
                for f in sorted(files):
                    full = os.path.join(root, f)
                    tar.add(full, arcname=os.path.relpath(full, src), recursive=False)
        os.replace(tmp, path)
        return os.path.getsize(path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise os_problem(e, f"write {path}") from None


def _member_ok(m: tarfile.TarInfo) -> bool:
    parts = m.name.split("/")
    if not m.isfile() or m.size > MAX_MEMBER or any(p in ("", ".", "..") for p in parts):
        return False
    if parts in (["lab.json"], ["snapshot.json"]):
        return True
    return len(parts) == 3 and parts[0] in ("nodes", "ssm") and valid_name(parts[1]) and not parts[2].startswith(".")


def _vet_databases(root: str, path: str, vet: Callable[[str], str | None]) -> None:
    """Each SSM database of an unpacked snapshot, as `vet` judges it (a reason to refuse, or None)."""
    base = os.path.join(root, "ssm")
    for name in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        db = os.path.join(base, name, "ssm.db")
        why = vet(db) if os.path.exists(db) else None
        if why:
            raise RuleError(f"{path} is not a ccxcli lab snapshot: SSM '{name}' {why}")


def import_(
    home: str, path: str, name: str | None = None, most: int = MAX_TOTAL, vet: Callable[[str], str | None] | None = None
) -> dict[str, Any]:
    """A snapshot from an exported file, under its own name or `name`; refused (nothing
    changed) when the file is not one, unpacks to more than `most` bytes, holds an SSM
    database `vet` refuses (the SSM core's judgement, given by the caller), or the name is taken."""
    tmp = os.path.join(home, FOLDER, f".import.{secrets.token_hex(4)}.tmp")
    try:
        with tarfile.open(path, "r:gz") as tar:
            members: list[tarfile.TarInfo] = []
            total = 0
            for m in tar:  # read as far as the limits allow, no further: a bomb is never unpacked whole
                total += m.size
                if len(members) >= MAX_MEMBERS or total > most or not _member_ok(m):
                    raise RuleError(f"{path} is not a ccxcli lab snapshot (unexpected contents or size).")
                members.append(m)
            private_dir(tmp)
            for m in members:
                dst = os.path.join(tmp, *m.name.split("/"))
                private_dir(os.path.dirname(dst))
                data = tar.extractfile(m)
                if data is None:
                    raise RuleError(f"{path} is not a ccxcli lab snapshot (unreadable member).")
                with open(dst, "xb") as out:
                    shutil.copyfileobj(data, out)
                os.chmod(dst, 0o600)
        try:
            info = _check(tmp)
        except StoreError:
            raise RuleError(f"{path} is not a ccxcli lab snapshot (its lab.json is not a lab).") from None
        if vet is not None:
            _vet_databases(tmp, path, vet)
        chosen = check_name(name or str(info.get("name", "")))
        target = folder(home, chosen)
        if os.path.exists(target):
            raise RuleError(f"A snapshot '{chosen}' already exists; import under another name or load it.")
        info["name"] = chosen
        write_atomic(os.path.join(tmp, "snapshot.json"), json.dumps(info, indent=2).encode())
        os.replace(tmp, target)
        return info
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        if isinstance(e, OSError) and not isinstance(e, tarfile.TarError) and e.filename == path:
            raise UsageError(f"Cannot read {path}: {e.strerror}.") from None
        raise RuleError(f"{path} is not a ccxcli lab snapshot ({type(e).__name__}).") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
