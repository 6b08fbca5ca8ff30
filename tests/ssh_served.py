"""A real `ccx serve` for the tests (127.0.0.1, port 0, stops by itself) and the small
asyncssh clients they drive it with."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import asyncssh
from labenv import clean_env

from ccxcli.api import Lab as ApiLab
from ccxcli.api import SshServer

PROMPT = r"([\r\n]|\x1b\[K)admin:"
CONTINUE = r"Continue \(y/n\)\?"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Served(SshServer):
    """`ccx serve` on lab `home` (the public API's `SshServer`, with `ccx serve`'s own default
    password unless `extra` says otherwise), its environment explicit (`labenv.clean_env`)."""

    def __init__(self, home: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        lab = ApiLab(home, env=clean_env(**(env or {})), inherit_env=False)
        super().__init__(lab, "uccx", None, 600, extra)
        self.home = home

    def children(self) -> list[int]:
        """The server's child processes now (the sessions' ccx processes)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def sessions(self) -> int:
        """The in-process terminal sessions the server holds now (threads named ccx-session)."""
        n = 0
        for comm in Path(f"/proc/{self.proc.pid}/task").glob("*/comm"):
            try:
                n += comm.read_text().strip() == "ccx-session"
            except OSError:
                pass
        return n

    def no_children(self, timeout: float = 10) -> bool:
        """No session is left: no child process, no in-process session thread."""
        deadline = time.monotonic() + timeout
        while (self.children() or self.sessions()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return not self.children() and not self.sessions()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def exec_(port: int, command: str, user: str = "admin", stdin: str | None = None) -> asyncssh.SSHCompletedProcess:
    async with asyncssh.connect("127.0.0.1", port, username=user, password="admin", known_hosts=None) as conn:
        return await conn.run(command, check=False, input=stdin)


class Shell:
    """An interactive session through asyncssh, reading the raw bytes."""

    def __init__(self, conn: asyncssh.SSHClientConnection, proc: asyncssh.SSHClientProcess[str]) -> None:
        self.conn, self.proc, self.buf = conn, proc, ""

    @classmethod
    async def open(cls, port: int, term: str = "vt100", user: str = "admin", early: str = "") -> Shell:
        conn = await asyncssh.connect("127.0.0.1", port, username=user, password="admin", known_hosts=None)
        proc = await conn.create_process(term_type=term, term_size=(200, 24))
        if early:
            proc.stdin.write(early)  # before the shell exists
        return cls(conn, proc)

    async def expect(self, pattern: str, timeout: float = 30) -> str:
        rx = re.compile(pattern)
        while not (m := rx.search(self.buf)):
            try:
                self.buf += await asyncio.wait_for(self.proc.stdout.read(65536), timeout)
            except asyncio.TimeoutError:
                raise AssertionError(f"{pattern!r} not seen in {timeout} s; last bytes: {self.buf[-600:]!r}") from None
        before, self.buf = self.buf[: m.start()], self.buf[m.end() :]
        return before

    async def run(self, command: str) -> str:
        self.proc.stdin.write(command + "\r")
        out = await self.expect(PROMPT)
        return ANSI.sub("", out).replace("\r", "")

    async def close(self) -> None:
        self.conn.close()
        await self.conn.wait_closed()
