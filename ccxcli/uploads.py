"""Files commands read, when a lab is served over SSH: they must be in the lab's upload
folder (which SFTP serves), and `sftp://HOST:PORT/PATH` URLs of the lab's own `ccx serve`
name files there. Light: no SSH library is imported here."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ccxcli.errors import UsageError
from ccxcli.urls import split_url

UPLOAD = "upload"
SERVE_FILE = "serve.json"


def served(home: Path) -> tuple[str, int] | None:
    """The address `ccx serve` of this lab listens on, while it runs."""
    try:
        data = json.loads((home / SERVE_FILE).read_text())
        os.kill(int(data["pid"]), 0)
        return str(data["host"]), int(data["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def confine(path: str, root: str | None) -> Path:
    """The path a command may read: anywhere locally (`root` None); inside `root`, the
    upload folder, when the command runs for an SSH session (`Runtime.file_root`)."""
    if not root:
        return Path(path).expanduser()
    base = Path(root).resolve()
    target = (base / path).resolve() if not os.path.isabs(path) else Path(path).resolve()
    if target != base and base not in target.parents:
        raise UsageError(
            f"Over SSH, files are read from the lab's upload folder only: put '{Path(path).name}' there with "
            "sftp (e.g. 'sftp admin@HOST', 'put auth.xml') and give its name."
        )
    return target


def sftp_path(url: str, home: str | Path) -> Path:
    """The local file an `sftp://[user@]HOST[:PORT]/PATH` URL names: one in the upload folder
    of this lab's own `ccx serve`; UsageError for any other server."""
    home = Path(home)
    if not url.lower().startswith("sftp://"):
        raise UsageError(f"Not an sftp URL: '{url[:80]}'.")
    rest = url[7:]
    rest = rest.split("@", 1)[1] if "@" in rest.split("/", 1)[0] else rest
    host, port, path = split_url("https://" + rest)
    here = served(home)
    if here is None or (port or 22) != here[1] or not _same_host(host, here[0]):
        where = f"{here[0]}:{here[1]}" if here else "not running"
        raise UsageError(
            f"sftp:// URLs name files of this lab's own SSH server ('ccx serve', {where}); "
            f"{host}:{port or 22} is not it. Copy the file here and give its path instead."
        )
    target = (home / UPLOAD / path.lstrip("/")).resolve()
    base = (home / UPLOAD).resolve()
    if base not in target.parents:
        raise UsageError(f"'{path}' is outside the upload folder of this lab's SSH server.")
    return target


def _same_host(a: str, b: str) -> bool:
    loop = {"localhost", "127.0.0.1", "::1", "[::1]"}
    return a == b or (a in loop and b in loop)
