"""The users `ccx serve` lets in, each with credentials of their own (a class: one user per
student, never one password for everyone): a private JSON file, `<home>/ssh-users.json`
unless `ccx serve --users FILE` names another, kept by `ccx ssh-user add|list|remove`.

Each user has a password (kept as a salted scrypt hash) or OpenSSH public keys or both, the
nodes it may reach (none listed: every node) and whether it is a lab operator (may change the
lab as a whole: clock, nodes, lab reset, SSM trust). A user logs in as `USER` (its first node,
or the default node when it may reach every node) or `USER@NODE`. With such a file, `ccx
serve` lets nobody else in: no shared password, no anonymous `admin`."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from pathlib import Path
from typing import Any, TypedDict

from ccxcli.errors import RuleError, StoreError, UsageError
from ccxcli.store.files import private_dir, write_atomic
from ccxcli.store.lab import valid_name

FILE = "ssh-users.json"
MAX_USERS = 10_000
MIN_PASSWORD = 8
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}


class SshUser(TypedDict):
    salt: str  # hex; "" without a password
    hash: str  # scrypt of the password, hex; "" without one
    keys: list[str]  # OpenSSH public key lines
    nodes: list[str]  # the nodes it may reach; empty: every node
    operator: bool


def path_of(home: Path, given: str | None) -> Path:
    return Path(given) if given else home / FILE


def in_force(home: Path, given: str | None, shared_options: bool) -> Path | None:
    """The users file `ccx serve` goes by: `--users FILE`, else the lab's when it exists; None:
    none (one shared password or key file, as before). With a users file, the shared options
    (`shared_options`: --password-file, --authorized-keys, --operator) are refused."""
    path = path_of(home, given)
    if given is None and not path.exists():
        return None
    if not path.exists():
        raise UsageError(f"No SSH users file {path}; make one with 'ccx ssh-user add'.")
    if shared_options:
        raise UsageError(
            f"The SSH users file {path} says who logs in and who is an operator: drop --password-file, "
            "--authorized-keys and --operator (or move the file away to serve with one password)."
        )
    load(path)  # refused now if it is not one
    return path


def load(path: Path) -> dict[str, SshUser]:
    """The users of a file ({} when there is none); a file that is not one is refused."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise StoreError(f"Cannot read the SSH users file {path}: {e.strerror}.") from None
    try:
        doc = json.loads(raw)
        users = doc["users"]
        if not isinstance(users, dict) or not all(_well_formed(n, u) for n, u in users.items()):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise StoreError(f"The SSH users file {path} is not one (ccx ssh-user writes it).") from None
    return users


def _well_formed(name: Any, u: Any) -> bool:
    return (
        isinstance(name, str)
        and bool(_NAME.fullmatch(name))
        and isinstance(u, dict)
        and set(u) == set(SshUser.__annotations__)
        and all(isinstance(u[k], str) for k in ("salt", "hash"))
        and all(isinstance(u[k], list) and all(isinstance(x, str) for x in u[k]) for k in ("keys", "nodes"))
        and isinstance(u["operator"], bool)
    )


def _save(path: Path, users: dict[str, SshUser]) -> None:
    private_dir(path.parent)  # the lab home, before its first command
    write_atomic(path, json.dumps({"users": users}, indent=2, sort_keys=True).encode())  # 0600


def _hash(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode("utf-8", "surrogateescape"), salt=salt, **_SCRYPT).hex()


def add(path: Path, name: str, password: str | None, keys: list[str], nodes: list[str], operator: bool) -> SshUser:
    if not _NAME.fullmatch(name) or "@" in name:
        raise UsageError("An SSH user name is 1 to 32 letters, digits and . _ - (starting with a letter or digit).")
    if password is None and not keys:
        raise UsageError("Give the user a password (--password-file) or a public key (--key), or both.")
    if password is not None and len(password) < MIN_PASSWORD:
        raise UsageError(f"The password must have at least {MIN_PASSWORD} characters.")
    for n in nodes:
        if not valid_name(n):
            raise UsageError(f"Invalid node name '{n[:40]}'.")
    users = load(path)
    if name in users:
        raise RuleError(f"SSH user '{name}' already exists; remove it first to change it.")
    if len(users) >= MAX_USERS:
        raise RuleError(f"The file already has {MAX_USERS} SSH users.")
    salt = secrets.token_bytes(16)
    user: SshUser = {
        "salt": salt.hex() if password is not None else "",
        "hash": _hash(password, salt) if password is not None else "",
        "keys": keys,
        "nodes": list(dict.fromkeys(nodes)),
        "operator": operator,
    }
    users[name] = user
    _save(path, users)
    return user


def remove(path: Path, name: str) -> None:
    users = load(path)
    if name not in users:
        raise RuleError(f"No SSH user '{name}' in {path}.")
    del users[name]
    _save(path, users)


def password_ok(user: SshUser, password: str) -> bool:
    if not user["hash"]:
        return False
    return hmac.compare_digest(_hash(password[:1024], bytes.fromhex(user["salt"])), user["hash"])


def split(login: str) -> tuple[str, str | None]:
    """`USER` or `USER@NODE`: the user and the node asked for."""
    name, at, node = login.partition("@")
    return name, (node if at else None)


def node_for(user: SshUser, asked: str | None, nodes: list[str], default: str) -> str | None:
    """The node a user reaches: the one asked for, if it may; else its first (or the default)."""
    allowed = [n for n in nodes if not user["nodes"] or n in user["nodes"]]
    if asked is not None:
        return asked if asked in allowed else None
    if not user["nodes"]:
        return default if default in allowed else (allowed[0] if allowed else None)
    return next((n for n in user["nodes"] if n in allowed), None)
