"""A node's messages to an SSM served over HTTPS (`ccx-ssm serve`): the same operations
`LabLink` performs in-process, as JSON posted to the transport URL.

Every message keeps its id, so the SSM applies it once whatever happens on the way. A
failure before the request left (connection refused, name not found, TLS refused) is
plain: nothing reached the SSM. A failure after it left (the connection broke, no answer
in time) is sent again once at once; when that fails too the result is unknown
(`NoAnswer`): exchanges keep the message and send it again until the SSM answers.

Imported only when a node's transport URL does not name an SSM of its own lab.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl

from ccxcli.errors import CommError, InstanceGone, RuleError, UsageError
from ccxcli.runtime import tunables

MAX_ANSWER = 1_000_000


class NoAnswer(CommError):
    """The request may have reached the SSM; its answer did not come back."""


def timeout() -> float:
    """How long to wait for the SSM (the program's `Settings`: CCX_NET_TIMEOUT)."""
    return tunables().net_timeout


class Remote:
    """One served SSM, reached at `host:port` + `path`, trusted by `trusted` keys."""

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        trusted: list[bytes],
        hint: str = "",
        proxy: tuple[str, int, str | None, str | None] | None = None,
    ) -> None:
        self.host, self.port, self.path, self.trusted, self.hint = host, port, path, trusted, hint
        self.proxy = proxy  # (host, port, user, password): an HTTP proxy the connection tunnels through (CONNECT)
        self.where = f"{host}:{port}"
        self._conn: http.client.HTTPSConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connect(self) -> http.client.HTTPSConnection:
        if self._conn is not None:
            return self._conn
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.check_hostname = False  # the name and the key are checked by check_peer, against this lab's trust
        ctx.verify_mode = ssl.CERT_NONE
        if self.proxy is not None:
            return self._connect_via(ctx)
        conn = http.client.HTTPSConnection(self.host.strip("[]"), self.port, context=ctx, timeout=timeout())
        try:
            conn.connect()
        except socket.gaierror:
            raise CommError(f"Communication with SSM failed: cannot resolve '{self.host}'.{self.hint}") from None
        except ConnectionRefusedError:
            raise CommError(
                f"Communication with SSM failed: connection refused by {self.where} (is 'ccx-ssm serve' running?)."
            ) from None
        except TimeoutError:
            raise CommError(
                f"Communication with SSM failed: {self.where} did not answer within {timeout():g} s."
            ) from None
        except ssl.SSLError as e:
            raise CommError(f"TLS with the SSM at {self.where} failed: {e.reason or e}.") from None
        except OSError as e:
            raise CommError(f"Communication with SSM failed: {self.where}: {e.strerror or e}.") from None
        return self._checked(conn)

    def _connect_via(self, ctx: ssl.SSLContext) -> http.client.HTTPSConnection:
        """Through the node's HTTP proxy: CONNECT host:port (with Basic credentials when the
        transport has them), then TLS with the SSM inside the tunnel."""
        import base64

        assert self.proxy is not None
        phost, pport, user, password = self.proxy
        proxy = f"{phost}:{pport}"
        conn = http.client.HTTPSConnection(phost.strip("[]"), pport, context=ctx, timeout=timeout())
        headers = {}
        if user is not None:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            headers["Proxy-Authorization"] = f"Basic {token}"
        conn.set_tunnel(self.host.strip("[]"), self.port, headers)
        lead = "Communication with Cisco SSM failed:"
        try:
            conn.connect()
        except socket.gaierror:
            raise CommError(f"{lead} the proxy host '{phost}' could not be resolved.") from None
        except ConnectionRefusedError:
            raise CommError(f"{lead} connection refused by the proxy {proxy}.") from None
        except TimeoutError:
            raise CommError(f"{lead} the proxy {proxy} did not answer within {timeout():g} s.") from None
        except ssl.SSLError as e:
            raise CommError(
                f"TLS with the SSM at {self.where} (through the proxy {proxy}) failed: {e.reason or e}."
            ) from None
        except OSError as e:
            text = str(e)
            if "407" in text:
                why = "it needs a user name and password" if user is None else "the user name or the password is wrong"
                raise CommError(
                    f"{lead} the proxy {proxy} answered 407 Proxy Authentication Required: {why}."
                ) from None
            if text.startswith("Tunnel connection failed"):
                raise CommError(
                    f"{lead} the proxy {proxy} refused to reach {self.where} ({text.split(':', 1)[1].strip()[:100]})."
                ) from None
            raise CommError(f"{lead} the proxy {proxy}: {e.strerror or e}.") from None
        return self._checked(conn)

    def _checked(self, conn: http.client.HTTPSConnection) -> http.client.HTTPSConnection:
        """The connection once the SSM's certificate passed this lab's checks."""
        from ccxcli.protocol.tls import check_peer

        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a small message must not wait for an ACK
        try:
            check_peer(conn.sock.getpeercert(binary_form=True), self.host, self.where, self.trusted)
        except CommError:
            conn.close()
            raise
        self._conn = conn
        return conn

    def call(self, op: str, args: dict[str, object]) -> object:
        """The SSM's answer; its refusals as the errors they stand for."""
        body = json.dumps({"op": op, "args": args}).encode()
        for attempt in (1, 2):
            try:
                conn = self._connect()
            except CommError as e:
                if attempt == 1:
                    raise  # nothing was sent
                raise NoAnswer(
                    f"No answer from the SSM at {self.where} (the connection broke after the request was sent, "
                    f"then: {e.message}): it is kept and sent again (applied once) until the SSM answers."
                ) from None
            try:
                conn.request("POST", self.path, body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read(MAX_ANSWER + 1)
            except (OSError, http.client.HTTPException) as e:
                self.close()
                if attempt == 2:
                    why = "no answer in time" if isinstance(e, TimeoutError) else "the connection broke"
                    raise NoAnswer(
                        f"No answer from the SSM at {self.where} ({why}) after the request was sent: it is kept "
                        "and sent again (applied once) until the SSM answers."
                    ) from None
                continue
            return self._answer(resp.status, data)
        raise AssertionError("unreachable")

    def _answer(self, status: int, data: bytes) -> object:
        try:
            doc = json.loads(data) if len(data) <= MAX_ANSWER else None
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise CommError(f"Communication with SSM failed: {self.where} answered HTTP {status}, not an SSM answer.")
        if doc.get("ok") is True:
            return doc.get("result")
        err: dict[str, object] = doc["error"] if isinstance(doc.get("error"), dict) else {}
        message = str(err.get("message") or f"HTTP {status}")[:600]
        kind = err.get("kind")
        if kind == "gone":
            raise InstanceGone(message)
        if kind == "rule":
            raise RuleError(message)
        if kind == "usage":
            raise UsageError(message)
        raise CommError(f"The SSM at {self.where} failed: {message}")
