"""ccxcli's Python API: an emulated UCCX lab in a test suite or a classroom script, without
touching its files or processes by hand.

    from ccxcli.api import Lab

    with Lab() as lab:                                  # a temporary lab, deleted at the end
        node = lab.node()                               # the default node, uccx
        node.run("license smart register idtoken " + lab.ssm().token())
        lab.advance("15m")
        assert node.status()["registration"]["status"] == "REGISTERED"
        with node.serve() as ssh:                       # `ccx serve` on a free port
            ...  # ssh.host, ssh.port, ssh.username, ssh.password, ssh.known_hosts

Commands run in this process through the programs' own `main(argv, env)` (the same code as
`ccx` and `ccx-ssm`); servers run as child processes bound to 127.0.0.1 that stop with the
context manager, with the lab, or by themselves after `stop_after` seconds.

Semantic versioning (`API_VERSION`): names documented here keep their meaning within a major
version; the JSON documents are those of `--json`, described in docs/reference/exit-codes-and-json.md.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

API_VERSION = "1.0.0"
__all__ = ["API_VERSION", "CommandFailed", "HttpsServer", "Lab", "Node", "Result", "SshServer", "Ssm"]

Command = str | Sequence[str]  # "show license status", or ["show", "license", "status"]


class Result(NamedTuple):
    """What a command did: its exit status, its standard output and error, and (for a run
    with `json=True`) the document it printed."""

    code: int
    out: str
    err: str
    json: Any = None

    @property
    def ok(self) -> bool:
        return self.code == 0


class CommandFailed(Exception):
    """A command run with `check=True` ended with a non-zero exit status."""

    def __init__(self, argv: list[str], result: Result) -> None:
        message = (result.err.strip() or result.out.strip()).splitlines()
        super().__init__(f"{' '.join(argv)!r} failed ({result.code}): {message[0] if message else ''}")
        self.argv, self.result = argv, result


def _words(command: Command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def _environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CCX_HOME", "CCX_NODE", "CCX_SSM_HOME")}
    return {**env, **(extra or {})}


class Lab:
    """A lab home: its nodes, its SSMs and its clock. `Lab()` makes a temporary one (deleted
    by `close()` or at the end of a `with` block); `Lab(path)` opens or creates one there.
    `env` adds settings (CCX_LOCK_TIMEOUT, CCX_NET_TIMEOUT, CCX_DEBUG, CCX_LAB_START...) to the
    environment of every command it runs and every server it starts, which is otherwise this
    process's (less CCX_HOME, CCX_NODE, CCX_SSM_HOME); with `inherit_env=False` it is `env`
    alone, so nothing of the host reaches the lab."""

    def __init__(
        self, home: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None, inherit_env: bool = True
    ) -> None:
        self.env = dict(env or {})
        self.inherit_env = inherit_env
        self.temporary = home is None
        self.home = Path(tempfile.mkdtemp(prefix="ccx-lab-") if home is None else home)
        self._servers: list[_Served] = []
        self._made = False  # the lab exists (made once, before the first ccx-ssm command)

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every server this lab started; delete the lab if it is a temporary one."""
        for s in list(self._servers):
            s.stop()
        if self.temporary:
            shutil.rmtree(self.home, ignore_errors=True)

    def environ(self) -> dict[str, str]:
        """The environment its commands and servers get."""
        return _environ(self.env) if self.inherit_env else dict(self.env)

    # -- running commands ---------------------------------------------------------------------
    def _run(self, program: str, argv: list[str], json: bool, check: bool, stdin: str | None) -> Result:
        from ccxcli.runtime import Env

        out, err = io.StringIO(), io.StringIO()
        env = Env(io.StringIO(stdin or ""), out, err, self.environ())
        full = ["--home", str(self.home), *(["--json"] if json else []), *argv]
        if program == "ccx":
            from ccxcli.cli.main import main
        else:
            from ccxcli.ssm.cli.main import main
        try:
            code = main(full, env)  # with an Env of its own, main() leaves the process's signals alone
        except SystemExit as e:  # --help and --version end this way
            code = e.code if isinstance(e.code, int) else 0
        text = out.getvalue()
        doc = None
        if json and text.strip():
            import json as _json

            try:
                doc = _json.loads(text)
            except ValueError:
                doc = None
        result = Result(code, text, err.getvalue(), doc)
        if check and code:
            raise CommandFailed([program, *argv], result)
        return result

    def ccx(
        self,
        command: Command,
        node: str | None = None,
        json: bool = False,
        check: bool = True,
        stdin: str | None = None,
    ) -> Result:
        """A `ccx` command (a device command, `sim …`) on `node` (default: uccx)."""
        words = _words(command)
        if not words:
            raise ValueError("give a command: the shell is not run through the API (use serve() for sessions)")
        return self._run("ccx", [*(["--node", node] if node else []), *words], json, check, stdin)

    def ccx_ssm(
        self, command: Command, ssm: str | None = None, json: bool = False, check: bool = True, stdin: str | None = None
    ) -> Result:
        """A `ccx-ssm` command on the lab's SSM `ssm` (default: cloud)."""
        if not self._made:
            from ccxcli.runtime import Tunables, in_force
            from ccxcli.session.context import open_lab

            with in_force(Tunables.of(self.environ())), open_lab(self.home):  # the embedded default lab first
                pass
            self._made = True
        return self._run("ccx-ssm", [*(["--ssm", ssm] if ssm else []), *_words(command)], json, check, stdin)

    # -- what the lab holds ---------------------------------------------------------------------
    def node(self, name: str = "uccx") -> Node:
        return Node(self, name)

    def create_node(self, name: str, *options: str) -> Node:
        """A new node (`sim node create NAME [--type T] [--ova N] …`)."""
        self.ccx(["sim", "node", "create", name, *options])
        return Node(self, name)

    def nodes(self) -> list[str]:
        return [n["name"] for n in self.ccx("sim node list", json=True).json["nodes"]]

    def ssm(self, name: str = "cloud") -> Ssm:
        return Ssm(self, name)

    # -- the clock, faults, snapshots -----------------------------------------------------------
    def advance(self, duration: str) -> dict[str, Any]:
        """Move the lab's clock (`15m`, `1h30m`, `90d`): every node lives through it."""
        doc: dict[str, Any] = self.ccx(["sim", "clock", "advance", duration], json=True).json
        return doc

    def now(self) -> str:
        return str(self.ccx("sim clock show", json=True).json["now"])

    def fault(self, name: str, on: bool = True, node: str | None = None) -> None:
        """Inject a failure (`sim fault list` names them) on a node, or clear it."""
        self.ccx(["sim", "fault", name, "on" if on else "off"], node=node)

    def reset(self) -> None:
        self.ccx("sim lab reset --yes")

    def save(self, name: str) -> None:
        self.ccx(["sim", "lab", "save", name])

    def load(self, name: str) -> None:
        self.ccx(["sim", "lab", "load", name, "--yes"])

    def scenario(self, name: str) -> None:
        """Replace the lab, whatever it holds, with a scenario preset (`sim scenario list`)."""
        self.ccx(["sim", "scenario", "load", name, "--replace", "--yes"])


class Node:
    """One node of a lab, and its `admin:` CLI."""

    def __init__(self, lab: Lab, name: str) -> None:
        self.lab, self.name = lab, name

    def run(self, command: Command, check: bool = True, stdin: str | None = None) -> Result:
        """A command's text output (exit status and error too): `--yes` answers questions."""
        return self.lab.ccx([*_words(command), "--yes"], node=self.name, check=check, stdin=stdin)

    def json(self, command: Command, check: bool = True) -> Any:
        """The `--json` document of a command."""
        return self.lab.ccx([*_words(command), "--yes"], node=self.name, json=True, check=check).json

    def status(self) -> dict[str, Any]:
        """`show license status` as its JSON document."""
        doc: dict[str, Any] = self.json("show license status")
        return doc

    def udi(self) -> dict[str, str]:
        return dict(self.json("show license UDI")["udi"])

    def serve(self, password: str = "admin", stop_after: float = 3600, options: Sequence[str] = ()) -> SshServer:
        """`ccx serve` for this lab on 127.0.0.1 and a free port; user `admin@NODE` reaches this
        node. Stop it with `stop()` or a `with` block (it stops by itself after `stop_after`)."""
        return SshServer(self.lab, self.name, password, stop_after, options)


class Ssm:
    """One SSM of a lab and its `ccx-ssm` commands."""

    def __init__(self, lab: Lab, name: str) -> None:
        self.lab, self.name = lab, name

    def run(self, command: Command, check: bool = True) -> Result:
        return self.lab.ccx_ssm(command, ssm=self.name, check=check)

    def json(self, command: Command, check: bool = True) -> Any:
        return self.lab.ccx_ssm(command, ssm=self.name, json=True, check=check).json

    def token(self, va: str | None = None, *options: str) -> str:
        """A new registration token (`token create`)."""
        return str(self.json(["token", "create", *(["--va", va] if va else []), *options])["token"])

    def licenses(self, va: str | None = None) -> dict[str, dict[str, Any]]:
        rows = self.json(["license", "list", *(["--va", va] if va else [])])["licenses"]
        return {r["alias"]: r for r in rows}

    def api_client(self, name: str = "api", *vas: str) -> tuple[str, str]:
        """A client of Cisco's API on this SSM: (client id, secret)."""
        doc = self.json(["api-client", "create", name, *[w for v in vas for w in ("--va", v)]])
        return doc["client_id"], doc["client_secret"]

    def serve(self, password: str = "admin", stop_after: float = 3600) -> HttpsServer:
        """`ccx-ssm serve` for this SSM on 127.0.0.1 and a free port (portal password `password`)."""
        return HttpsServer(self.lab, self.name, password, stop_after)


class _Served:
    """A server in a child process: started at once, stopped by `stop()` (or at the end of a
    `with` block, or with its lab)."""

    proc: subprocess.Popen[str]
    lab: Lab

    def _start(self, argv: list[str], pattern: str) -> re.Match[str]:
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.lab.environ(),
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        m = re.search(pattern, first)
        if m is None:
            self.proc.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            self.proc.wait()
            raise RuntimeError(f"the server did not start: {(first + err).strip()[:500]}")
        self.banner = first
        self.lab._servers.append(self)
        return m

    def stop(self) -> int:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); its exit status. What it wrote
        after its banner is kept in `output` and `errors` (a warning, a traceback: nothing, normally)."""
        if self in self.lab._servers:
            self.lab._servers.remove(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        except ValueError:  # stopped before: its pipes are closed
            out, err = "", ""
        self.output, self.errors = getattr(self, "output", "") + (out or ""), getattr(self, "errors", "") + (err or "")
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash would end it."""
        if self in self.lab._servers:
            self.lab._servers.remove(self)
        self.proc.kill()
        self.proc.wait()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SshServer(_Served):
    """`ccx serve`: `host`, `port`, `username` (admin@NODE), `password`, `fingerprint` and a
    `known_hosts` line for clients that check host keys. `password` None: `ccx serve`'s own
    default (admin), or keys alone with `--authorized-keys` among `options`."""

    def __init__(
        self, lab: Lab, node: str, password: str | None, stop_after: float, options: Sequence[str] = ()
    ) -> None:
        self.lab, self.node = lab, node
        pw = Path(tempfile.mkdtemp(prefix="ccx-pw-")) / "password"
        if password is not None:
            pw.write_text(password + "\n")
            pw.chmod(0o600)
        argv = [
            sys.executable,
            "-m",
            "ccxcli",
            "--home",
            str(lab.home),
            "serve",
            "--ssh",
            "127.0.0.1:0",
            *(["--password-file", str(pw)] if password is not None else []),
            "--stop-after",
            str(stop_after),
            *options,
        ]
        try:
            m = self._start(argv, r"on 127\.0\.0\.1:(\d+)")
        finally:
            shutil.rmtree(pw.parent, ignore_errors=True)
        self.host, self.port = "127.0.0.1", int(m.group(1))
        self.username, self.password = f"admin@{node}", password or "admin"
        assert self.proc.stdout is not None
        self.fingerprint = self.proc.stdout.readline().split(": ", 1)[-1].strip()
        self.known_hosts = f"[{self.host}]:{self.port} {self.host_key()}"

    def host_key(self) -> str:
        """The server's public host key, OpenSSH format (`ssh-ed25519 AAAA…`)."""
        from cryptography.hazmat.primitives import serialization

        key = serialization.load_ssh_private_key((self.lab.home / "ssh_host_ed25519_key").read_bytes(), None)
        return (
            key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        )


class HttpsServer(_Served):
    """`ccx-ssm serve`: `url`, `port`, `password` (the portal's) and `cert`, the file of the
    certificate it presents (give it to `requests` as `verify=`, or to curl as `--cacert`).
    `ssm` is an SSM of the lab by name, or an SSM folder anywhere (a path); `password` None
    serves with `--no-auth`; `port` 0 picks a free one."""

    def __init__(
        self,
        lab: Lab,
        ssm: str | os.PathLike[str],
        password: str | None,
        stop_after: float,
        port: int = 0,
        options: Sequence[str] = (),
    ) -> None:
        self.lab, self.ssm = lab, str(ssm)
        folder = Path(ssm) if os.sep in str(ssm) else lab.home / "ssm" / str(ssm)
        if os.sep not in str(ssm):
            lab.ccx_ssm("account show", ssm=str(ssm))  # the lab (and its SSM) exist first
        pw = Path(tempfile.mkdtemp(prefix="ccx-pw-")) / "password"
        if password is not None:
            pw.write_text(password + "\n")
            pw.chmod(0o600)
        auth = ["--password-file", str(pw)] if password is not None else ["--no-auth"]
        argv = [
            sys.executable,
            "-c",
            "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())",
            "--home",
            str(lab.home),
            "--ssm",
            str(ssm),
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            *auth,
            "--stop-after",
            str(int(stop_after)),
            *options,
        ]
        try:
            m = self._start(argv, r"https://127\.0\.0\.1:(\d+)/")
        finally:
            shutil.rmtree(pw.parent, ignore_errors=True)
        self.host, self.port, self.password = "127.0.0.1", int(m.group(1)), password
        self.cert = folder / "tls-cert.pem"
        names = re.search(r"certificate for ([^;]+);", self.banner)
        self.names = names.group(1).split(", ") if names else ["localhost"]
        self.url = f"https://{'localhost' if 'localhost' in self.names else self.host}:{self.port}"
