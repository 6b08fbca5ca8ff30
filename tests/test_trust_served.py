"""Node and SSM trust only what is proven, and every exchange converges (issue 32), through a
real served SSM (`ccx-ssm serve`) and nodes of other lab homes.

- A message id is the sender's: another registration (in any virtual account, in another lab
  sharing the SSM) that sends a victim's future report ids first cannot make the SSM answer
  the victim's real reports from its own remembered answers.
- A product instance id is never given twice, so messages and events naming one never come
  to mean another.
- A report that failed on the SSM's side (down for maintenance, server stopped, killed while
  answering) is sent again at the next interval once it answers: the SSM learns the usage and
  the Entitlement Reporting alert clears."""

from __future__ import annotations

import http.client
import json
import ssl
from pathlib import Path
from typing import Any

import pytest
from served import Served, ccx, init, ssm

from ccxcli.core import timers as T
from ccxcli.protocol.proof import message_mac
from ccxcli.urls import GATEWAY_PATH


def _status(home: Path) -> dict[str, Any]:
    r = ccx(home, "--json", "show", "license", "status")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def _join_and_register(
    home: Path, pem: Path, server: Served, ssm_home: Path, folder: Path, va: str = "DEFAULT"
) -> None:
    assert ccx(home, "sim", "ssm", "trust", str(pem)).returncode == 0
    r = ccx(home, "license", "smart", "transport", "gateway", server.gateway)
    assert r.returncode == 0, r.stderr
    token = ssm(ssm_home, "--ssm", str(folder), "token", "create", "--va", va).stdout.strip()
    r = ccx(home, "license", "smart", "register", "idtoken", token)
    assert r.returncode == 0, r.stderr


def _instance(ssm_home: Path, folder: Path, sn: str) -> dict[str, Any]:
    rows = json.loads(ssm(ssm_home, "--ssm", str(folder), "--json", "instance", "list").stdout)["instances"]
    (row,) = [r for r in rows if r["sn"] == sn]
    return row  # type: ignore[no-any-return]


def _post(port: int, op: str, args: dict[str, Any]) -> dict[str, Any]:
    """A device message sent by hand, as any client holding a registration can send one."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    try:
        conn.request("POST", GATEWAY_PATH, json.dumps({"op": op, "args": args}), {"Content-Type": "application/json"})
        return json.loads(conn.getresponse().read())  # type: ignore[no-any-return]
    finally:
        conn.close()


@pytest.fixture
def shared(tmp_path: Path) -> Any:
    """One served SSM that the labs of the test share."""
    folder = tmp_path / "ssm"
    pem = init(tmp_path / "ssmhome", folder)
    ssm(tmp_path / "ssmhome", "--ssm", str(folder), "va", "create", "Other")
    server = Served(tmp_path / "ssmhome", folder)
    yield tmp_path / "ssmhome", folder, pem, server
    server.stop()


def test_another_registration_cannot_pre_claim_a_victims_report_ids(shared: Any, tmp_path: Path) -> None:
    ssm_home, folder, pem, server = shared
    victim, attacker = tmp_path / "victim", tmp_path / "attacker"
    _join_and_register(victim, pem, server, ssm_home, folder)
    _join_and_register(attacker, pem, server, ssm_home, folder, va="Other")
    assert ccx(victim, "sim", "agent", "login", "--count", "3").returncode == 0
    v, a = _status(victim), _status(attacker)
    victim_row = _instance(ssm_home, folder, v["udi"]["sn"])
    start = json.loads(ccx(victim, "--json", "sim", "clock", "show").stdout)["epoch"]
    first = start - start % T.REPORT_INTERVAL + T.REPORT_INTERVAL
    proof = json.loads((attacker / "nodes" / "uccx" / "state.json").read_text())["proof"]  # the attacker's own
    for k in range(8):  # the victim's next two hours of report ids, sent first with the attacker's own uuid
        t = first + k * T.REPORT_INTERVAL
        for op, args in (
            ("report", {"uuid": a["udi"]["uuid"], "use": {}, "now": t, "msg_id": f"report:{victim_row['id']}:{t}"}),
            (
                "report_batch",
                {
                    "uuid": a["udi"]["uuid"],
                    "use": {},
                    "first": t,
                    "last": t,
                    "msg_id": f"steady:{victim_row['id']}:{t}",
                },
            ),
        ):
            answer = _post(server.port, op, {**args, "mac": message_mac(proof, op, args)})  # properly proven
            assert answer["ok"], answer
    assert ccx(victim, "sim", "clock", "advance", "2h").returncode == 0
    row = _instance(ssm_home, folder, v["udi"]["sn"])
    assert row["usage"].get("flex-standard") == 3, row  # the victim's usage reached the SSM
    assert "reporting" not in json.dumps(_status(victim).get("alerts", [])).lower()


def test_a_product_instance_id_is_never_given_twice(shared: Any, tmp_path: Path) -> None:
    ssm_home, folder, pem, server = shared
    first, second = tmp_path / "first", tmp_path / "second"
    _join_and_register(first, pem, server, ssm_home, folder)
    gone = _instance(ssm_home, folder, _status(first)["udi"]["sn"])["id"]
    r = ssm(ssm_home, "--ssm", str(folder), "instance", "remove", str(gone))
    assert r.returncode == 0, r.stderr
    _join_and_register(second, pem, server, ssm_home, folder)
    assert _instance(ssm_home, folder, _status(second)["udi"]["sn"])["id"] > gone


@pytest.mark.parametrize("outage", ["maintenance", "server-stopped"])
def test_a_report_failed_on_the_ssm_side_is_sent_again_once_it_answers(
    shared: Any, tmp_path: Path, outage: str
) -> None:
    ssm_home, folder, pem, server = shared
    home = tmp_path / "node"
    _join_and_register(home, pem, server, ssm_home, folder)
    assert ccx(home, "sim", "clock", "advance", "1h").returncode == 0
    assert ccx(home, "sim", "agent", "login", "--count", "5").returncode == 0
    sn = _status(home)["udi"]["sn"]
    if outage == "maintenance":
        assert ssm(ssm_home, "--ssm", str(folder), "maintenance", "on").returncode == 0
    else:
        port = server.port
        server.stop()
    out = ccx(home, "sim", "clock", "advance", "15m").stdout
    assert "not delivered" in out, out
    if outage == "maintenance":
        assert ssm(ssm_home, "--ssm", str(folder), "maintenance", "off").returncode == 0
    else:
        server.__init__(ssm_home, folder, port=port)  # type: ignore[misc]  # the same SSM back on its port
    out = ccx(home, "sim", "clock", "advance", "30m").stdout
    assert "delivered" in out and "not delivered" not in out, out
    assert _instance(ssm_home, folder, sn)["usage"].get("flex-standard") == 5
    assert "Entitlement Reporting" not in ccx(home, "show", "license", "all").stdout


# --- every input bounded while it is read; no traceback for any body ------------------------------


def _tls(port: int) -> ssl.SSLSocket:
    import socket

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30))


def _answer(sock: ssl.SSLSocket, data: bytes = b"") -> tuple[int, bytes]:
    while b"\r\n\r\n" not in data:
        more = sock.recv(65536)
        if not more:
            break
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    length = next(
        (int(h.split(b":", 1)[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")), 0
    )
    while len(rest) < length and (more := sock.recv(65536)):
        rest += more
    return int(head.split(b" ", 2)[1]), rest


@pytest.mark.parametrize("path", ["/as/token.oauth2", GATEWAY_PATH])
def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(shared: Any, path: str) -> None:
    _, _, _, server = shared
    sock = _tls(server.port)
    try:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n".encode()
        )
        chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
        sent, early = 0, b""
        while sent < 64 * 1024 * 1024 and not early:  # until the answer comes (or the server hangs up)
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                break
            sent += 65536
            sock.setblocking(False)
            try:
                early = sock.recv(65536)  # application data only: TLS's own records are not an answer
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
            finally:
                sock.settimeout(30)
        status, _ = _answer(sock, early)
        try:
            hung_up = sock.recv(1) == b""  # the server hangs up rather than read the rest
        except (ConnectionResetError, ssl.SSLError):
            hung_up = True
    finally:
        sock.close()
    assert status == 413 and hung_up
    assert sent < 16 * 1024 * 1024, sent  # answered long before the 64 MiB the client was ready to send
    assert "Traceback" not in server.stop()


def test_a_declared_length_over_the_limit_is_refused_before_the_body(shared: Any) -> None:
    _, _, _, server = shared
    sock = _tls(server.port)
    try:
        sock.sendall(
            b"POST /as/token.oauth2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 300000000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        )
        status, body = _answer(sock)  # no byte of the body was sent
    finally:
        sock.close()
    assert status == 413 and b"too large" in body


def test_deeply_nested_json_is_a_400_json_answer_everywhere(shared: Any) -> None:
    _, _, _, server = shared
    nested = b"[" * 100_000 + b"]" * 100_000
    for path, headers in (
        (GATEWAY_PATH, {}),
        ("/services/api/smart-accounts-and-licensing/v1/accounts/any/licenses", {"Authorization": "Bearer anything"}),
        ("/api/v1/accounts/any/virtual-accounts", {}),
    ):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=30)
        try:
            conn.request("POST", path, nested, {"Content-Type": "application/json", **headers})
            answer = conn.getresponse()
            body = answer.read()
        finally:
            conn.close()
        assert answer.status == 400, (path, answer.status, body[:200])
        assert answer.getheader("content-type", "").startswith("application/json"), path
        json.loads(body)
    output = server.stop()
    assert "Traceback" not in output and "internal error" not in output, output


# --- a deregistration lost to a killed SSM --------------------------------------------------------


def _listed(ssm_home: Path, folder: Path, sn: str) -> bool:
    rows = json.loads(ssm(ssm_home, "--ssm", str(folder), "--json", "instance", "list").stdout)["instances"]
    return any(r["sn"] == sn for r in rows)


@pytest.mark.parametrize("point", ["ssm-before-commit", "ssm-after-commit"])
def test_a_deregistration_lost_to_a_killed_ssm_is_sent_again_until_it_answers(tmp_path: Path, point: str) -> None:
    """The served SSM is killed at every hit of `point` in turn while a node deregisters; the
    node keeps the message and sends it again; once the SSM is back, the next command on the
    node completes it, and node and SSM agree: deregistered on both."""
    folder = tmp_path / "ssm"
    pem = init(tmp_path / "ssmhome", folder)
    ssm_home = tmp_path / "ssmhome"
    server = Served(ssm_home, folder)
    port = server.port
    killed = 0
    try:
        for nth in range(1, 8):
            home = tmp_path / f"node{nth}"
            _join_and_register(home, pem, server, ssm_home, folder)
            sn = _status(home)["udi"]["sn"]
            server.stop()
            server = Served(ssm_home, folder, port=port, env={"CCX_TEST_KILL_AT": f"{point}@{nth}"})
            r = ccx(home, "--yes", "license", "smart", "deregister")
            died = server.proc.wait(timeout=30) if server.proc.poll() is not None or r.returncode else None
            if died is None:  # the point was hit fewer than `nth` times: every hit has been tried
                assert r.returncode == 0 and not _listed(ssm_home, folder, sn), r.stderr
                break
            killed += 1
            assert r.returncode == 4 and "sent again" in r.stderr, r.stderr
            server.stop()
            server = Served(ssm_home, folder, port=port)  # the SSM is back
            assert ccx(home, "show", "license", "UDI").returncode == 0  # any command on the node sends it again
            assert _status(home)["registration"]["status"] == "UNREGISTERED"
            assert not _listed(ssm_home, folder, sn), (point, nth)
    finally:
        server.stop()
    assert killed >= 1


def test_failed_portal_logins_are_throttled_before_any_password_is_checked(tmp_path: Path) -> None:
    from served import Client

    folder = tmp_path / "ssm"
    init(tmp_path / "ssmhome", folder)
    r = ssm(
        tmp_path / "ssmhome",
        "--ssm",
        str(folder),
        "user",
        "add",
        "alice",
        "--role",
        "viewer",
        "--password-file",
        str(_file(tmp_path / "pw", "alice-password")),
    )
    assert r.returncode == 0, r.stderr
    server = Served(tmp_path / "ssmhome", folder, password="admin-password")
    try:
        c = Client(server.port)
        statuses = [c.post("/login", {"username": "alice", "password": "guess"}, csrf="")[0] for _ in range(7)]
        assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429], statuses
        status, text = c.post("/login", {"username": "alice", "password": "alice-password"}, csrf="")
        assert status == 429 and "try again in" in text  # the right password waits too: no oracle
        status, _ = c.post("/login", {"username": "bob", "password": "guess"}, csrf="")
        assert status == 429  # the same address, another name
    finally:
        output = server.stop()
    assert "Traceback" not in output


def _file(path: Path, text: str) -> Path:
    path.write_text(text + "\n")
    return path


def test_a_login_from_another_site_is_refused_and_logins_never_log_others_out(
    shared: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from served import InProcess

    from ccxcli.ssm.web import site

    monkeypatch.setattr(site, "MAX_SESSIONS", 25)  # a small portal's cap, reached by one user's 30 logins

    ssm_home, folder, _, _ = shared
    r = ssm(
        ssm_home,
        "--ssm",
        str(folder),
        "user",
        "add",
        "viv",
        "--role",
        "viewer",
        "--password-file",
        str(_file(tmp_path / "viv.pw", "viv-password")),
    )
    assert r.returncode == 0, r.stderr
    app = InProcess(folder, "admin-password")
    try:
        c = app.client()
        status, _, text = c.request(
            "POST",
            "/login",
            b"password=admin-password&next=/",
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"},
        )
        assert status == 403 and "another site" in text and not c.cookies
        status, _, _ = c.request(
            "POST",
            "/login",
            b"password=admin-password&next=/",
            {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site", "Origin": "null"},
        )
        assert status == 403 and not c.cookies
        admin = app.client()
        assert admin.post("/login", {"password": "admin-password", "next": "/"}, csrf="")[0] == 200
        for _ in range(30):  # a viewer logging in again and again
            viv = app.client()
            assert viv.post("/login", {"username": "viv", "password": "viv-password", "next": "/"}, csrf="")[0] == 200
        assert admin.request("GET", "/")[0] == 200  # the administrator is still logged in
        assert viv.request("GET", "/")[0] == 200  # and so is the viewer's newest session
    finally:
        app.stop()


# --- a node proves its messages; its UUID alone proves nothing ---------------------------------------


def test_a_uuid_alone_neither_deregisters_nor_moves_an_instance(shared: Any, tmp_path: Path) -> None:
    """What a viewer of the portal reads (the instance's UUID) is not enough: a deregistration
    or report sent with it alone, or with a wrong proof, is refused; a forced registration of
    the same UUID with another token (another virtual account) is refused; the node itself
    still reports and deregisters."""
    ssm_home, folder, pem, server = shared
    victim = tmp_path / "victim"
    _join_and_register(victim, pem, server, ssm_home, folder)
    v = _status(victim)
    uuid, sn = v["udi"]["uuid"], v["udi"]["sn"]
    now = json.loads(ccx(victim, "--json", "sim", "clock", "show").stdout)["epoch"]
    unproven = {"uuid": uuid, "now": now, "msg_id": "x1"}
    for args in (unproven, {**unproven, "msg_id": "x2", "mac": "0" * 64}):
        answer = _post(server.port, "deregister", args)
        assert not answer["ok"] and "not proven" in answer["error"]["message"], answer
    hello = {"uuid": uuid, "sn": sn, "license_type": "flex", "hostname": "evil"}
    token = ssm(ssm_home, "--ssm", str(folder), "token", "create", "--va", "Other").stdout.strip()
    answer = _post(
        server.port,
        "register",
        {"token": token, "hello": hello, "now": now, "force": True, "msg_id": "x3", "proof": "1" * 64},
    )
    assert not answer["ok"] and "remove it on the SSM first" in answer["error"]["message"], answer
    assert _instance(ssm_home, folder, sn)["va"] == "DEFAULT"  # not moved
    assert ccx(victim, "sim", "agent", "login", "--count", "2").returncode == 0
    assert ccx(victim, "sim", "clock", "advance", "1h").returncode == 0
    assert _instance(ssm_home, folder, sn)["usage"].get("flex-standard") == 2  # the node's own messages are proven
    r = ccx(victim, "--yes", "license", "smart", "deregister")
    assert r.returncode == 0 and not any(
        i["sn"] == sn
        for i in json.loads(ssm(ssm_home, "--ssm", str(folder), "--json", "instance", "list").stdout)["instances"]
    ), r.stderr


def test_connections_over_the_limit_are_answered_503(tmp_path: Path) -> None:
    folder = tmp_path / "ssm"
    init(tmp_path / "ssmhome", folder)
    server = Served(tmp_path / "ssmhome", folder, options=("--max-connections", "2"))
    held = [_tls(server.port) for _ in range(2)]  # two clients holding connections open, saying nothing
    try:
        sock = _tls(server.port)
        sock.sendall(b"GET /api/v1/account HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, _ = _answer(sock)
        sock.close()
        assert status == 503
    finally:
        for s in held:
            s.close()
    output = server.stop()
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "sent",
    [
        b"GET /api/v1/account HTTP/1.1\r\nHost: local",  # headers never finished
        b"POST /as/token.oauth2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\ngrant_type",
    ],
)
def test_a_client_too_slow_to_send_its_request_is_hung_up_on(tmp_path: Path, sent: bytes) -> None:
    folder = tmp_path / "ssm"
    init(tmp_path / "ssmhome", folder)
    server = Served(tmp_path / "ssmhome", folder, options=("--request-timeout", "1"))
    try:
        quick = _tls(server.port)  # a client that sends its request at once is served
        quick.sendall(b"GET /api/v1/account HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert _answer(quick)[0] == 200
        quick.close()
        slow = _tls(server.port)
        slow.sendall(sent)  # ... and then nothing more
        slow.settimeout(20)  # a bound on the test's own wait, not a timing: the server must hang up
        try:
            closed = slow.recv(65536) == b""
        except (ConnectionResetError, ssl.SSLError):
            closed = True
        slow.close()
        assert closed
    finally:
        output = server.stop()
    assert "Traceback" not in output


# --- every exchange, the served SSM killed at every hit of its commit points ------------------------


def _agree(home: Path, ssm_home: Path, folder: Path) -> None:
    """Node and SSM agree: registered on the node exactly when listed on the SSM, and, once a
    report interval has passed, the SSM holds the node's usage."""
    st = _status(home)
    registered = st["registration"]["status"] == "REGISTERED"
    assert registered == _listed(ssm_home, folder, st["udi"]["sn"]), st["registration"]
    if registered:
        assert ccx(home, "sim", "clock", "advance", "15m").returncode == 0
        assert _instance(ssm_home, folder, st["udi"]["sn"])["usage"].get("flex-standard", 0) == len(
            json.loads(ccx(home, "--json", "sim", "agent", "list").stdout)["agents"]
        )


EXCHANGES = {  # what the node does while its SSM may die: (setup after joining, the command)
    "register": (lambda home, token: None, lambda home, token: ["license", "smart", "register", "idtoken", token]),
    "renew": (
        lambda home, token: ccx(home, "license", "smart", "register", "idtoken", token),
        lambda home, token: ["license", "smart", "renew", "auth"],
    ),
    "report": (
        lambda home, token: (
            ccx(home, "license", "smart", "register", "idtoken", token),
            ccx(home, "sim", "agent", "login", "--count", "3"),
        ),
        lambda home, token: ["sim", "clock", "advance", "15m"],
    ),
}


@pytest.mark.parametrize("point", ["ssm-before-commit", "ssm-after-commit"])
@pytest.mark.parametrize("exchange", list(EXCHANGES))
def test_every_exchange_killed_at_every_hit_leaves_node_and_ssm_agreeing(
    tmp_path: Path, exchange: str, point: str
) -> None:
    folder = tmp_path / "ssm"
    pem = init(tmp_path / "ssmhome", folder)
    ssm_home = tmp_path / "ssmhome"
    server = Served(ssm_home, folder)
    port, killed = server.port, 0
    setup, command = EXCHANGES[exchange]
    try:
        for nth in range(1, 8):
            home = tmp_path / f"node{nth}"
            assert ccx(home, "sim", "ssm", "trust", str(pem)).returncode == 0
            assert ccx(home, "license", "smart", "transport", "gateway", server.gateway).returncode == 0
            token = ssm(ssm_home, "--ssm", str(folder), "token", "create").stdout.strip()
            setup(home, token)
            server.stop()
            server = Served(ssm_home, folder, port=port, env={"CCX_TEST_KILL_AT": f"{point}@{nth}"})
            r = ccx(home, *command(home, token))
            if server.proc.poll() is None:  # not killed: every hit of the point has been tried
                assert r.returncode == 0, r.stderr
                _agree(home, ssm_home, folder)
                break
            killed += 1
            assert "Traceback" not in r.stderr
            server.stop()
            server = Served(ssm_home, folder, port=port)  # back
            assert ccx(home, "show", "license", "UDI").returncode == 0  # any command: what was kept is sent again
            _agree(home, ssm_home, folder)
    finally:
        server.stop()
    assert killed >= 1, (exchange, point)


def test_a_login_hashes_its_password_after_letting_the_database_go(tmp_path: Path, monkeypatch: Any) -> None:
    """scrypt takes tens of milliseconds by design: a login must not hold the SSM's write lock
    meanwhile, or node messages queue behind bad logins. The real hash runs; the test only notes
    whether the lock was held when it did."""
    from served import InProcess

    from ccxcli.ssm.core import users
    from ccxcli.ssm.web.portal import _who

    folder = tmp_path / "ssm"
    init(tmp_path / "ssmhome", folder)
    r = ssm(
        tmp_path / "ssmhome",
        "--ssm",
        str(folder),
        "user",
        "add",
        "viv",
        "--role",
        "viewer",
        "--password-file",
        str(_file(tmp_path / "pw", "viv-password")),
    )
    assert r.returncode == 0, r.stderr
    app = InProcess(folder, "admin-password")
    held: list[bool] = []
    real = users._hash

    def noted(password: str, salt: bytes) -> str:
        held.append(app.site.writer.locked())
        return real(password, salt)

    monkeypatch.setattr(users, "_hash", noted)
    try:
        assert _who(app.site, "viv", "viv-password") is not None and _who(app.site, "viv", "wrong") is None
    finally:
        app.stop()
    assert held == [False, False]
