"""A real `ccx-ssm serve` in a child process (127.0.0.1, port 0, stops by itself), and a
small HTTPS client for its pages, forms and API (cookies, CSRF tokens from the pages)."""

from __future__ import annotations

import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from labenv import clean_env

from ccxcli.api import HttpsServer
from ccxcli.api import Lab as ApiLab

SSM = [sys.executable, "-c", "import sys; from ccxcli.ssm.cli.main import main; sys.exit(main())"]
CCX = [sys.executable, "-m", "ccxcli"]


def run(argv: list[str], home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*argv, "--home", str(home), *args], capture_output=True, text=True, timeout=120, env=clean_env(**(env or {}))
    )


def ssm(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(SSM, home, *args)


def ccx(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run(CCX, home, *args, env=env)


class Served(HttpsServer):
    """`ccx-ssm --ssm FOLDER serve` on 127.0.0.1 (the public API's `HttpsServer`), with
    `--no-auth` unless a password is given; its environment explicit (`labenv.clean_env`)."""

    def __init__(
        self,
        home: Path,
        folder: Path,
        password: str | None = None,
        env: dict[str, str] | None = None,
        port: int = 0,
        options: tuple[str, ...] = (),
    ) -> None:
        lab = ApiLab(home, env=clean_env(**(env or {})), inherit_env=False)
        super().__init__(lab, folder, password, 600, port, options)
        self.home, self.folder = home, folder
        self.ready = self.banner
        self.gateway = f"https://localhost:{self.port}/Transportgateway/services/DeviceRequestHandler"

    def stop(self) -> str:  # type: ignore[override]  # the tests read what it wrote
        super().stop()
        return self.output + self.errors

    def client(self) -> Client:
        return Client(self.port)


def init(home: Path, folder: Path, *extra: str) -> Path:
    """A served SSM folder (demo licenses, certificate name localhost) and its exported key."""
    r = ssm(home, "--ssm", str(folder), "init", "--demo", "--hostname", "localhost", *extra)
    assert r.returncode == 0, r.stderr
    pem = folder.parent / f"{folder.name}.pem"
    pem.write_text(ssm(home, "--ssm", str(folder), "key", "export").stdout)
    return pem


class Client:
    """Pages, forms and API calls over HTTPS, as a browser and a script would send them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.last = ""
        self.location = ""  # where the last answer redirected to

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], str]:
        """One request over real HTTPS: status, headers, text."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # the test client is not the node; the node's check is tested elsewhere
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=60)
        conn.request(method, path, body, headers)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        return resp.status, resp.getheaders(), text

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status, got, text = self._send(method, path, body, h)
        out_headers = {k.lower(): v for k, v in got}
        self.location = out_headers.get("location", "")
        for k, v in got:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";")[0]
        m = re.search(r'name="csrf" value="([^"]+)"', text)
        if m:
            self.csrf = m.group(1)
        self.last = text
        return status, out_headers, text

    def get(self, path: str, follow: bool = True) -> tuple[int, str]:
        status, headers, text = self.request("GET", path)
        if follow and status in (302, 303):
            return self.get(headers["location"])
        return status, text

    def post(self, path: str, data: dict[str, str], csrf: str | None = None, follow: bool = True) -> tuple[int, str]:
        body = urlencode({"csrf": self.csrf if csrf is None else csrf, **data}).encode()
        status, headers, text = self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        if follow and status in (302, 303):
            return self.get(headers["location"])
        return status, text

    def post_files(self, path: str, data: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[int, str]:
        """A multipart/form-data form, as a browser sends one with a file chosen."""
        boundary = "----ccxcli" + os.urandom(8).hex()
        chunks = []
        for k, v in {"csrf": self.csrf, **data}.items():
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        for k, (filename, content) in files.items():
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{filename}"\r\n'
                "Content-Type: text/plain\r\n\r\n".encode()
                + content
                + b"\r\n"
            )
        chunks.append(f"--{boundary}--\r\n".encode())
        status, headers, text = self.request(
            "POST", path, b"".join(chunks), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )
        if status in (302, 303):
            return self.get(headers["location"])
        return status, text

    def api(self, method: str, path: str, doc: Any = None, password: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if password is not None:
            headers["Authorization"] = f"Bearer {password}"
        body = json.dumps(doc).encode() if doc is not None else None
        status, _, text = self.request(method, path, body, headers)
        return status, json.loads(text)


class InProcess:
    """The served SSM's own Starlette app for `folder`, run in this process by Starlette's
    TestClient: the same routes, middleware and handlers as `ccx-ssm serve`, without TLS, a
    port or a child process (most portal and API tests; `Served` keeps a few over real HTTPS)."""

    def __init__(self, folder: Path, password: str | None) -> None:
        from starlette.testclient import TestClient

        from ccxcli.ssm.web.server import app
        from ccxcli.ssm.web.site import Site

        self.folder, self.password = folder, password
        self.site = Site(folder, password)
        self.http = TestClient(app(self.site), base_url="https://testserver", follow_redirects=False)

    def client(self) -> InProcessClient:
        return InProcessClient(self)

    def stop(self) -> str:
        self.http.close()
        return ""


class InProcessClient(Client):
    """`Client`'s pages, forms and API calls, sent to an `InProcess` app."""

    def __init__(self, served: InProcess) -> None:
        super().__init__(0)
        self.served = served

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, list[tuple[str, str]], str]:
        http = self.served.http
        http.cookies.clear()  # the cookies are this client's own (sent in its Cookie header)
        r = http.request(method, path, content=body, headers=headers)
        return r.status_code, list(r.headers.multi_items()), r.text


def wait_port_closed(port: int, seconds: float = 10) -> None:
    import socket

    end = time.time() + seconds
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.05)
