"""What `ccx serve` knows of the lab it serves: its settings, who may log in as what, the
nodes, and the environment each session gets."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import asyncssh

from ccxcli.cli import sshusers
from ccxcli.cli.ssh.inline import ChannelTerminal
from ccxcli.cli.ssh.sftpd import DEFAULT_QUOTA
from ccxcli.errors import CcxError
from ccxcli.runtime import Tunables
from ccxcli.store.files import create_private
from ccxcli.store.lab import DEFAULT_NODE, valid_name
from ccxcli.uploads import UPLOAD

DEFAULT_PASSWORD = "admin"
HOST_KEY = "ssh_host_ed25519_key"
REFUSED_OPTIONS = ("--home", "--node")
# OpenSSH's LoginGraceTime, MaxStartups and ClientAlive* are the models; a lab's defaults are
# shorter than OpenSSH's: a lab session has nothing worth keeping once its client is gone.
LOGIN_GRACE = 30.0
MAX_STARTUPS = 100
ALIVE_INTERVAL = 5.0
ALIVE_COUNT = 3
# The test seam (`ccxcli.faults`) given to `ccx serve` is meant for its sessions: the server
# runs without it and passes it on to them alone.
SEAM = ("CCX_TEST_KILL_AT", "CCX_TEST_PAUSE_AT")
# What a session's environment never takes from the server's: where and who it is (the server
# sets these), and what describes a terminal (the client's own: TERM, size, colour).
NOT_PASSED = (
    "CCX_HOME",
    "CCX_NODE",
    "CCX_SSM_HOME",
    "CCX_FILE_ROOT",
    "CCX_SSH_USER",
    "CCX_SSH_OPERATOR",
    "TERM",
    "COLORTERM",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "LINES",
)
SESSION_THREAD = "ccx-session"  # the system's name of an in-process session's thread


class Settings:
    """How `ccx serve` serves: credentials, who is a lab operator, and its bounds."""

    def __init__(
        self,
        password: str | None = DEFAULT_PASSWORD,
        authorized: Any = None,
        operators: tuple[str, ...] = (),
        upload_quota: int = DEFAULT_QUOTA,
        login_grace: float = LOGIN_GRACE,
        max_startups: int = MAX_STARTUPS,
        alive_interval: float = ALIVE_INTERVAL,
        alive_count: int = ALIVE_COUNT,
        process_per_session: bool = False,
        users: Path | None = None,
    ) -> None:
        self.password, self.authorized, self.operators = password, authorized, operators
        # The SSH users file (`ccxcli.cli.sshusers`): with it, each user logs in with its own
        # credentials and reaches its own nodes; no shared password. Read at each login, so a
        # user added or removed counts at once.
        self.users = users
        self.process_per_session = process_per_session
        self.upload_quota, self.login_grace, self.max_startups = upload_quota, login_grace, max_startups
        self.alive_interval, self.alive_count = alive_interval, alive_count


def host_key(home: Path) -> asyncssh.SSHKey:
    """The lab's Ed25519 host key: made once (0600), reused, so known_hosts stays valid."""
    path = home / HOST_KEY
    if not path.exists():
        key = asyncssh.generate_private_key("ssh-ed25519")
        create_private(path, key.export_private_key())
    return asyncssh.read_private_key(str(path))


def node_for(user: str, nodes: list[str]) -> str | None:
    """The node a user name chooses: admin → the default node, admin@NODE or NODE → NODE."""
    name = user.split("@", 1)[1] if user.startswith("admin@") else ("" if user == "admin" else user)
    name = name or (DEFAULT_NODE if DEFAULT_NODE in nodes else (nodes[0] if nodes else DEFAULT_NODE))
    return name if valid_name(name) and name in nodes else None


class ServedLab:
    """What the server knows of the lab it serves."""

    def __init__(self, home: Path, settings: Settings, environ: Mapping[str, str]) -> None:
        self.home = home
        self.upload = home / UPLOAD
        self.settings = settings
        self.environ = dict(environ)  # the server's Env: its tunables (CCX_LOCK_TIMEOUT...) go to every session
        self.children: set[asyncio.subprocess.Process] = set()
        self.terminals: set[ChannelTerminal] = set()  # in-process sessions
        self.connections: set[asyncssh.SSHServerConnection] = set()  # open, logged in or not
        self.waiting = 0  # connections not yet authenticated

    def own_tunables(self) -> Tunables:
        """The server's own tunables: its Env's, less the test seam (meant for its sessions)."""
        return Tunables.of({k: v for k, v in self.environ.items() if k not in SEAM})

    def ssh_user(self, login: str) -> sshusers.SshUser | None:
        """The user of the users file a login names (`USER` or `USER@NODE`), if it may reach a
        node of the lab that way; None otherwise (or when the file cannot be read)."""
        assert self.settings.users is not None
        name, asked = sshusers.split(login)
        try:
            user = sshusers.load(self.settings.users).get(name)
        except CcxError:
            return None
        if user is None or sshusers.node_for(user, asked, self.nodes(), DEFAULT_NODE) is None:
            return None
        return user

    def node_of(self, login: str) -> str:
        """The node a logged-in user's session runs on."""
        if self.settings.users is None:
            return node_for(login, self.nodes()) or DEFAULT_NODE
        user = self.ssh_user(login)
        asked = sshusers.split(login)[1]
        found = sshusers.node_for(user, asked, self.nodes(), DEFAULT_NODE) if user is not None else None
        return found or DEFAULT_NODE

    def operator(self, login: str) -> bool:
        if self.settings.users is None:
            return login in self.settings.operators
        user = self.ssh_user(login)
        return user is not None and user["operator"]

    def nodes(self) -> list[str]:
        folder = self.home / "nodes"
        try:
            return sorted(p.name for p in folder.iterdir() if valid_name(p.name) and (p / "state.json").exists())
        except OSError:
            return []

    def env(self, user: str, term: str | None, in_process: bool = False) -> dict[str, str]:
        """A session's environment: the server's Env (its tunables, and for a child process the
        test seam: in the server's own process it would stop every session), less what describes a
        terminal or a session (`NOT_PASSED`) and prompt_toolkit's settings, plus where the lab and
        the upload folder are, the SSH user, whether it is a lab operator, and the client's
        terminal type."""
        dropped = NOT_PASSED + (SEAM if in_process else ())
        env = {k: v for k, v in self.environ.items() if k not in dropped and not k.startswith("PROMPT_TOOLKIT")}
        env.update(CCX_HOME=str(self.home), CCX_FILE_ROOT=str(self.upload), CCX_SSH_USER=user)
        if self.operator(user):
            env["CCX_SSH_OPERATOR"] = "1"
        if term:
            env["TERM"] = term
        return env

    def argv(self, node: str, words: list[str]) -> list[str]:
        return [sys.executable, "-m", "ccxcli", "--node", node, *words]
