"""The served SSM's portal and JSON API: every page, every form and API call, and the
refusals (bad CSRF, wrong password, tampered code, over-reservation) with the SSM database
unchanged. Most run the server's own app in-process (Starlette's TestClient: `app`); those
where a node of another lab reaches the SSM, and the server's own start and stop, run over
real HTTPS (`site`'s server)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from labenv import ssm_state
from served import InProcess, Served, ccx, init, ssm

PASSWORD = "lab-secret-1"
ACCT = "/api/v1/accounts/Demo%20Smart%20Account/virtual-accounts"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("web")
    folder = base / "portal"
    pem = init(base, folder)
    server = Served(base, folder, password=PASSWORD)
    yield base, folder, pem, server
    server.stop()


@pytest.fixture(scope="module")
def app(site: Any) -> Any:
    """The same SSM folder, its app in this process."""
    _, folder, _, _ = site
    local = InProcess(folder, PASSWORD)
    yield local
    local.stop()


def logged_in(server: Served | InProcess) -> Any:
    c = server.client()
    status, text = c.post("/login", {"password": PASSWORD, "next": "/"}, csrf="")
    assert status == 200 and "Smart Account: Demo Smart Account" in text
    return c


def db(folder: Path) -> str:
    return ssm_state(folder)


def test_pages_need_the_password(site: Any, app: Any) -> None:
    _, folder, _, _server = site
    server = app
    c = server.client()
    status, headers, _ = c.request("GET", "/tokens")
    assert status == 303 and headers["location"] == "/login?next=/tokens"
    status, text = c.post("/login", {"password": "wrong", "next": "/"}, csrf="")
    assert status == 401 and "Wrong user name or password." in text
    status, text = c.post("/login", {"password": PASSWORD, "next": "//evil.example/"}, csrf="")
    assert status == 200 and "Smart Account" in text  # an outside "next" goes home
    [(name, cookie)] = c.cookies.items()
    assert re.fullmatch(r"ccxssm-[0-9a-f]{12}", name)  # this SSM's own cookie name
    status, headers, _ = c.request("GET", "/")
    assert status == 200 and headers.get("x-frame-options") == "DENY" and "content-security-policy" in headers
    c.post("/logout", {})
    assert c.request("GET", "/")[0] == 303
    assert cookie  # a new login is needed after logging out


def test_every_page_renders(site: Any, app: Any) -> None:
    base, folder, _, _server = site
    server = app
    c = logged_in(server)
    for path, words in [
        ("/", "Licenses of 'DEFAULT'"),
        ("/virtual-accounts", "New virtual account"),
        ("/licenses", "UCCX Flex Standard Agent"),
        ("/licenses?va=DEFAULT", "License Reservation…"),
        ("/instances", "Product Instances"),
        ("/tokens", "New token"),
        ("/licenses/reserve", "Enter Request Code"),
        ("/events", "Event Log"),
        ("/sync", "SSM On-Prem linked to this SSM"),
        ("/reservations", "Product Instances"),  # moved: reservations are where CSSM has them
    ]:
        status, text = c.get(path)
        assert status == 200 and words in text, path
    status, text = c.get("/instances/999")
    assert status == 409 and "Refused" in text


def test_forms_change_the_ssm_and_bad_csrf_changes_nothing(site: Any, app: Any) -> None:
    base, folder, _, _server = site
    server = app
    c = logged_in(server)
    c.get("/virtual-accounts")
    before = db(folder)
    status, text = c.post("/virtual-accounts/create", {"name": "Sales"}, csrf="forged")
    assert status == 403 and "CSRF check failed" in text
    assert db(folder) == before
    other = logged_in(server)  # another session's token is not this session's
    other.get("/virtual-accounts")
    status, _ = c.post("/virtual-accounts/create", {"name": "Sales"}, csrf=other.csrf)
    assert status == 403 and db(folder) == before
    status, text = c.post("/virtual-accounts/create", {"name": "Sales"})
    assert status == 200 and "Virtual account &#39;Sales&#39; created." in text
    status, text = c.post(
        "/licenses/transfer", {"license": "flex-premium", "quantity": "2", "from": "DEFAULT", "to": "Sales"}
    )
    assert "2 flex-premium moved" in text
    status, text = c.post(
        "/licenses/transfer", {"license": "flex-premium", "quantity": "999", "from": "DEFAULT", "to": "Sales"}
    )
    assert status == 409 and "available" in text
    status, text = c.post("/virtual-accounts/delete", {"name": "Sales"})
    assert status == 200 and "Delete virtual account &#39;Sales&#39;?" in text  # asked first
    status, text = c.post("/virtual-accounts/delete", {"name": "Sales", "confirmed": "yes"})
    assert status == 409  # it holds licenses
    c.get("/tokens")
    status, text = c.post(
        "/tokens/create", {"va": "DEFAULT", "description": "portal", "expires_days": "7", "max_uses": "2"}, follow=False
    )
    assert status == 303 and c.location == "/tokens"  # POST, redirect, GET: a refresh makes no second token
    status, text = c.get("/tokens")
    token = re.search(r'id="new-token" value="([^"]+)"', text)
    assert status == 200 and token
    status, text = c.get("/tokens")  # the refresh
    assert 'id="new-token"' not in text and text.count('<code id="token-') == 1
    status, text = c.post("/tokens/create", {"va": "DEFAULT", "expires_days": "0"})
    assert status == 400 and "from 1 to 365" in text
    before = db(folder)
    status, text = c.post("/tokens/revoke", {"token": token.group(1)})
    assert status == 200 and "Revoke the token" in text and db(folder) == before  # asked first
    status, text = c.post("/tokens/revoke", {"token": token.group(1), "confirmed": "yes"})
    assert "Token revoked." in text and "revoked" in text
    status, text = c.get("/events")
    assert "Virtual account &#39;Sales&#39; created" in text or "Sales" in text


def test_user_text_is_escaped(site: Any, app: Any) -> None:
    base, folder, _, _server = site
    server = app
    c = logged_in(server)
    c.get("/virtual-accounts")
    c.post("/virtual-accounts/create", {"name": "<script>alert(1)</script>"})
    _, text = c.get("/virtual-accounts")
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_reserve_licenses_wizard(site: Any, app: Any, tmp_path: Path) -> None:
    base, folder, pem, _server = site
    server = app
    home = tmp_path / "lab"
    ccx(home, "sim", "ssm", "trust", str(pem))
    ccx(home, "license", "smart", "reservation", "enable")
    req = json.loads(ccx(home, "--json", "license", "smart", "reservation", "request").stdout)["request_code"]
    c = logged_in(server)
    c.get("/licenses/reserve")
    before = db(folder)
    # a typing error in the check digits: always caught (a random change elsewhere passes the
    # 2-hex check one time in 256 and is then a well-formed request of another node)
    tampered = req[:-1] + ("0" if req[-1] != "0" else "1")
    status, text = c.post("/licenses/reserve", {"va": "DEFAULT", "request_code": tampered})
    # the refusal comes back on step 1, with what was entered
    assert status == 200 and "Request Code" in text and 'id="error"' in text and tampered in text
    assert db(folder) == before
    draft = re.search(r'action="(/licenses/reserve/[^"/]+)"', text)
    assert draft
    status, text = c.post(draft.group(1), {"va": "DEFAULT", "request_code": req[:30] + "\n" + req[30:]})
    assert status == 200 and "license type: <b>Flex</b>" in text and "qty-premium-seat" not in text  # Flex only
    step2 = draft.group(1) + "/licenses"
    status, text = c.post(step2, {"qty_flex-standard": "abc"})
    assert 'id="error"' in text and 'value="abc"' in text  # back on step 2, the entry kept
    status, text = c.post(step2, {"qty_flex-standard": "9999"})
    assert "More than available" in text and re.search(r'id="generate" class="primary" disabled', text)
    status, text = c.post(draft.group(1) + "/authorize", {})  # sent anyway: refused on step 3, nothing changed
    assert status == 200 and 'id="error"' in text and "available" in text and db(folder) == before
    status, text = c.post(step2, {"qty_flex-standard": "4", "qty_flex-premium": "1"})
    assert status == 200 and 'id="generate" class="primary" >' in text  # enabled
    status, text = c.get(step2)  # Back: a page of its own, with what was chosen
    assert 'value="4"' in text
    status, text = c.post(draft.group(1) + "/authorize", {}, follow=False)
    assert status == 303 and c.location.endswith("/authorization-code?step=4")
    status, text = c.get(c.location)
    shown = re.search(r'id="authorization-code" rows="6" readonly>([^<]+)<', text)
    assert shown and shown.group(1).startswith("&lt;specificPLR&gt;")  # the code, escaped in the page
    status, text = c.post(draft.group(1) + "/authorize", {})  # sent again (a refresh, Back): nothing more happens
    assert "finished or cancelled" in text
    link = re.search(r'href="(/instances/(\d+)/authorization-code.txt)"', shown.string)
    assert link
    ident = link.group(2)
    status, headers, file_text = c.request("GET", link.group(1))
    assert status == 200 and "attachment" in headers["content-disposition"] and file_text.startswith("<specificPLR>")
    (tmp_path / "auth.txt").write_text(file_text)
    r = ccx(home, "license", "smart", "reservation", "install-file", str(tmp_path / "auth.txt"))
    assert r.returncode == 0 and "flex-premium 1, flex-standard 4" in r.stdout, r.stderr
    status, text = c.get(f"/instances/{ident}")
    assert status == 200 and "authorized" in text and "UCCX Flex Standard Agent" in text
    assert "Enter Confirmation Code" not in text  # nothing is pending
    before = db(folder)
    status, text = c.post(f"/instances/{ident}/update", {"qty_flex-standard": "six", "qty_flex-premium": "1"})
    assert status == 400 and 'id="error"' in text and "Update Reserved Licenses" in text  # the form again
    assert 'value="six"' in text and db(folder) == before  # as it was typed; nothing changed
    status, text = c.post(f"/instances/{ident}/update", {"qty_flex-standard": "6", "qty_flex-premium": "1"})
    assert status == 200 and 'id="review"' in text and db(folder) == before  # a Review first, nothing changed
    assert re.search(
        r'data-alias="flex-standard"><td>[^<]+</td><td class="n">4</td><td class="n">6</td><td class="n">\+2', text
    )
    status, text = c.post(
        f"/instances/{ident}/update", {"qty_flex-standard": "6", "qty_flex-premium": "1", "reviewed": "yes"}
    )
    assert status == 200 and "Reservation updated" in text and "Enter Confirmation Code" in text
    _, _, update = c.request("GET", f"/instances/{ident}/authorization-code.txt")
    conf = json.loads(ccx(home, "--json", "license", "smart", "reservation", "install", update.strip()).stdout)
    status, text = c.post(f"/instances/{ident}/confirm", {"confirmation_code": "00000000"})
    assert status == 409 and "it was logged" in text and 'value="00000000"' in text  # the form again, kept
    assert "Nothing was changed" not in text
    c.get(f"/instances/{ident}/confirm")
    status, text = c.post_files(
        f"/instances/{ident}/confirm",
        {"confirmation_code": ""},
        {"confirmation_code_file": ("conf.txt", conf["confirmation_code"].encode() + b"\n")},
    )
    assert "Reservation update confirmed." in text  # from the uploaded file
    ret = json.loads(ccx(home, "--yes", "--json", "license", "smart", "reservation", "return").stdout)["return_code"]
    c.get(f"/instances/{ident}/remove")
    before = db(folder)
    altered = ret[:-6] + ("AAAAAA" if not ret.endswith("AAAAAA") else "BBBBBB")
    status, text = c.post(f"/instances/{ident}/remove", {"return_code": altered, "confirmed": "yes"})
    assert status in (400, 409) and "Remove Product Instance" in text and altered in text and db(folder) == before
    status, text = c.post(f"/instances/{ident}/remove", {"return_code": ret})  # not confirmed: asked first
    assert "Confirm the removal first." in text and db(folder) == before
    status, text = c.post_files(
        f"/instances/{ident}/remove",
        {"confirmed": "yes", "return_code": ""},
        {"return_code_file": ("return.txt", ret.encode())},
    )
    assert f"Product instance {ident} removed" in text
    before = db(folder)
    status, text = c.post(f"/instances/{ident}/remove", {"return_code": ret, "confirmed": "yes"})
    assert status == 409 and db(folder) == before


def test_instances_pages_and_remove_with_a_return_code(site: Any, tmp_path: Path) -> None:
    base, folder, pem, server = site
    home = tmp_path / "lab"
    ccx(home, "sim", "ssm", "trust", str(pem))
    ccx(home, "license", "smart", "transport", "gateway", server.gateway)
    token = ssm(base, "--ssm", str(folder), "token", "create").stdout.strip()
    assert ccx(home, "license", "smart", "register", "idtoken", token).returncode == 0
    sn = json.loads(ccx(home, "--json", "show", "license", "UDI").stdout)["udi"]["sn"]
    c = logged_in(server)
    _, text = c.get("/instances")
    ident = re.search(rf'<tr data-id="(\d+)"><td[^>]*><a href="/instances/\d+">[^<]+</a></td><td[^>]*>{sn}<', text)
    assert ident
    status, text = c.get(f"/instances/{ident.group(1)}")
    main = text.split("<main")[1].split("</main>")[0]
    assert status == 200 and "Smart Licensing" in text and "Last Contact" in text and "{" not in main
    status, text = c.post(f"/instances/{ident.group(1)}/transfer", {"to": "DEFAULT"})
    assert status in (400, 409) and 'id="error"' in text and "Transfer" in text  # already there: the form again
    c.get("/virtual-accounts")
    c.post("/virtual-accounts/create", {"name": "Branch"})
    status, text = c.post(f"/instances/{ident.group(1)}/transfer", {"to": "Branch"})
    assert "transferred to &#39;Branch&#39;" in text
    status, text = c.post(f"/instances/{ident.group(1)}/remove", {})
    assert "Confirm the removal first" in text
    status, text = c.post(f"/instances/{ident.group(1)}/remove", {"confirmed": "yes"})
    assert "removed" in text
    r = ccx(home, "license", "smart", "renew", "auth")
    assert r.returncode == 1 and "removed there" in r.stderr  # the node learns it at its next contact


def test_the_json_api(site: Any, app: Any) -> None:
    base, folder, _, _server = site
    server = app
    c = server.client()
    status, doc = c.api("GET", "/api/v1/account")
    assert status == 401 and doc["status"] == "ERROR"
    status, doc = c.api("GET", "/api/v1/account", password="wrong")
    assert status == 401
    status, doc = c.api("GET", "/api/v1/account", password=PASSWORD)
    assert status == 200 and doc["name"] == "Demo Smart Account" and doc["slrAllowed"] is True
    status, doc = c.api("GET", ACCT, password=PASSWORD)
    assert any(v["name"] == "DEFAULT" and v["isDefault"] for v in doc["virtualAccounts"])
    status, doc = c.api("POST", ACCT, {"name": "Api"}, password=PASSWORD)
    assert status == 200
    logged = json.loads(ssm(base, "--ssm", str(folder), "--json", "events", "--last", "5").stdout)["events"]
    assert logged[-1]["user"] == "ccxcli API" and "Api" in logged[-1]["message"]  # who made it
    status, doc = c.api("POST", ACCT, {"name": "Api"}, password=PASSWORD)
    assert status == 409 and "already exists" in doc["statusMessage"]
    status, doc = c.api("GET", ACCT + "/DEFAULT/licenses", password=PASSWORD)
    row = next(r for r in doc["licenses"] if r["license"] == "flex-standard")
    assert (
        row["entitlementTag"].startswith("regid.")
        and row["quantity"] == row["available"] + row["inUse"] + row["reserved"]
    )
    status, doc = c.api(
        "POST",
        ACCT + "/DEFAULT/licenses/transfer",
        {"license": "flex-standard", "quantity": 1, "to": "Api"},
        password=PASSWORD,
    )
    assert status == 200
    status, doc = c.api(
        "POST", ACCT + "/DEFAULT/licenses/transfer", {"license": "flex-standard", "to": "Api"}, password=PASSWORD
    )
    assert status == 400 and "'quantity' is required" in doc["statusMessage"]  # was an internal error
    status, doc = c.api(
        "POST",
        ACCT + "/DEFAULT/tokens",
        {"description": "api", "expiresAfterDays": 5, "exportControlled": False},
        password=PASSWORD,
    )
    assert status == 200 and doc["status"] == "SUCCESS" and len(doc["tokenInfo"]["token"]) > 30
    token = doc["tokenInfo"]["token"]
    status, doc = c.api("GET", ACCT + "/DEFAULT/tokens", password=PASSWORD)
    assert token in [t["token"] for t in doc["tokens"]]
    status, doc = c.api("POST", ACCT + "/DEFAULT/tokens/revoke", {"tokens": [token]}, password=PASSWORD)
    assert status == 200
    status, doc = c.api("GET", ACCT + "/DEFAULT/devices", password=PASSWORD)
    assert status == 200 and "devices" in doc
    for path in ("/api/v1/reservations", "/api/v1/events?last=5", "/api/v1/alerts", "/api/v1/sync"):
        status, doc = c.api("GET", path, password=PASSWORD)
        assert status == 200, (path, doc)
    status, doc = c.api("GET", "/api/v1/accounts/Other/virtual-accounts", password=PASSWORD)
    assert status == 400 and "No smart account 'Other'" in doc["statusMessage"]
    before = db(folder)
    status, _, text = c.request(
        "POST", ACCT, b'{"name": "X"}', {"Content-Type": "text/plain", "Authorization": f"Bearer {PASSWORD}"}
    )
    assert status == 400 and "application/json" in text and db(folder) == before
    status, _, text = c.request(
        "POST", ACCT, b"{not json", {"Content-Type": "application/json", "Authorization": f"Bearer {PASSWORD}"}
    )
    assert status == 400 and db(folder) == before
    status, doc = c.api("POST", "/api/v1/sync", {}, password=PASSWORD)
    assert status == 400 and "SSM On-Prem" in doc["statusMessage"]


def test_the_device_endpoint_refuses_malformed_messages(site: Any, app: Any) -> None:
    base, folder, _, _server = site
    server = app
    c = server.client()
    before = db(folder)
    path = "/Transportgateway/services/DeviceRequestHandler"
    for body in (
        b"nonsense",
        b'{"op": "register"}',
        b'{"op": "format_disk", "args": {}}',
        json.dumps({"op": "report", "args": {"uuid": "x" * 32, "use": {}, "now": 1, "msg_id": "m"}}).encode(),
        json.dumps(
            {"op": "report", "args": {"uuid": "a" * 32, "use": {"flex-standard": -1}, "now": 1, "msg_id": "m"}}
        ).encode(),
    ):
        status, _, text = c.request("POST", path, body, {"Content-Type": "application/json"})
        doc = json.loads(text)
        assert doc["ok"] is False and doc["error"]["kind"] in ("usage", "rule", "gone"), (body, doc)
    assert db(folder) == before


def test_serve_refuses_unsafe_settings_before_starting(tmp_path: Path) -> None:
    from conftest import Lab

    lab = Lab(tmp_path / "lab")
    for argv, words in [
        (["serve"], "needs a password"),
        (["serve", "--listen", "0.0.0.0:8443", "--no-auth"], "not a loopback address"),
        (["serve", "--listen", "0.0.0.0:8443", "--allow-remote", "--no-auth"], "loopback address only"),
        (["serve", "--listen", "nowhere"], "Invalid address"),
        (["serve", "--no-auth", "--password-file", "x"], "not both"),
        (["serve", "--password-file", str(tmp_path / "missing")], "missing"),
    ]:
        r = lab.ssm(*argv)
        assert r.code == 2 and words in r.err and "Traceback" not in r.err, (argv, r)


def test_an_on_prem_served_from_its_lab_synchronizes_from_the_portal(tmp_path: Path) -> None:
    home = tmp_path / "lab"
    r = ssm(home, "--ssm", "site", "init", "--on-prem", "--hostname", "localhost")
    assert r.returncode == 0, r.stderr
    server = Served(home, home / "ssm" / "site")
    try:
        c = server.client()
        status, text = c.get("/sync")
        assert status == 200 and "connected" in text and "Synchronize Now" in text
        status, text = c.post("/sync/now", {})
        assert status == 200 and "Synchronized with Cisco SSM (request" in text
        status, doc = c.api("GET", "/api/v1/sync")
        assert status == 200 and doc["mode"] == "connected" and doc["last_sync"]
    finally:
        out = server.stop()
    assert "Stopped." in out and server.proc.returncode == 0  # SIGTERM: a clean stop


def test_portal_users_are_held_to_their_role_and_virtual_account(site: Any, tmp_path: Path) -> None:
    base, folder, pem, server = site
    (tmp_path / "pw").write_text("class-pass-1\n")

    def run(*args: str) -> str:
        r = ssm(base, "--ssm", str(folder), *args)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    run("va", "create", "RoomA")
    run("va", "create", "RoomB")
    run("user", "add", "alice", "--va", "RoomA", "--password-file", str(tmp_path / "pw"))
    run("user", "add", "viv", "--role", "viewer", "--password-file", str(tmp_path / "pw"))
    b_token = run("token", "create", "--va", "RoomB")
    home = tmp_path / "node"
    ccx(home, "sim", "ssm", "trust", str(pem))
    ccx(home, "license", "smart", "transport", "gateway", server.gateway)
    assert ccx(home, "license", "smart", "register", "idtoken", b_token).returncode == 0
    b_instance = json.loads(run("--json", "instance", "list", "--va", "RoomB"))["instances"][0]["id"]
    users = {e["kind"]: e["user"] for e in json.loads(run("--json", "events", "--last", "50"))["events"]}
    assert users["register"].startswith("node ") and users["user"] == "command line"  # who did it

    alice = server.client()
    status, _ = alice.post("/login", {"username": "alice", "password": "wrong-one", "next": "/"}, csrf="")
    assert status == 401
    status, text = alice.post("/login", {"username": "alice", "password": "class-pass-1", "next": "/"}, csrf="")
    assert status == 200 and "alice (Virtual Account User, RoomA)" in text
    status, text = alice.get(f"/instances/{b_instance}")
    assert status == 409 and "No product instance" in text  # as unknown as one that does not exist
    _, text = alice.get("/tokens")
    assert b_token not in text
    before = db(folder)
    for path, data in [
        ("/tokens/revoke", {"token": b_token, "confirmed": "yes"}),
        (f"/instances/{b_instance}/remove", {"confirmed": "yes"}),
        ("/tokens/create", {"va": "RoomB"}),  # a form forged for RoomB: refused, never a token in RoomA instead
        ("/virtual-accounts/create", {"name": "Mine"}),
        ("/licenses/transfer", {"license": "flex-standard", "quantity": "1", "from": "DEFAULT", "to": "RoomA"}),
    ]:
        status, text = alice.post(path, data)
        assert status in (400, 403, 409) and "Traceback" not in text, (path, status)
        if path == "/tokens/create":
            assert "No virtual account &#39;RoomB&#39;. Known: RoomA." in text
    assert db(folder) == before
    _, text = alice.get("/")
    assert 'href="/sync"' not in text  # the synchronization of the whole account is an administrator's
    status, text = alice.get("/licenses.csv?va=RoomB")
    assert (
        status == 200
        and text.startswith("License,")
        and "attachment" in alice.request("GET", "/licenses.csv")[1]["content-disposition"]
    )
    _, text = alice.get("/events.csv")
    assert "RoomB" not in text and "RoomA" in text

    viv = server.client()
    viv.post("/login", {"username": "viv", "password": "class-pass-1", "next": "/"}, csrf="")
    _, text = viv.get("/tokens")
    assert b_token not in text and b_token[:6] + "…" in text  # a viewer sees that it exists, not the token
    assert 'id="token-create"' not in text and 'href="/sync"' not in text
    before = db(folder)
    status, text = viv.post("/tokens/create", {"va": "DEFAULT"})
    assert status == 403 and "only views" in text and db(folder) == before
    run("user", "remove", "viv")
    status, headers, _ = viv.request("GET", "/tokens")
    assert status == 303 and headers["location"].startswith("/login")  # the session ended with the user

    c = logged_in(server)
    c.get(f"/instances/{b_instance}/remove")
    before = db(folder)
    status, text = c.post_files(
        f"/instances/{b_instance}/remove", {"confirmed": "yes"}, {"return_code_file": ("x.bin", b"\xff\xfe\x00binary")}
    )
    assert status == 400 and "is not text" in text and db(folder) == before


def test_an_ssm_on_prem_offers_no_license_reservation(tmp_path: Path) -> None:
    """SLR is made on Cisco SSM (the cloud): an SSM On-Prem's Licenses page does not offer it."""
    folder = tmp_path / "onprem"
    r = ssm(
        tmp_path, "--ssm", str(folder), "init", "--on-prem", "--hostname", "ssm.example.com", "--standalone", "--demo"
    )
    assert r.returncode == 0, r.stderr
    app = InProcess(folder, PASSWORD)
    try:
        c = logged_in(app)
        _, text = c.get("/licenses")
        assert "License Reservation…" not in text and "Export to CSV" in text
        _, text = c.get("/")
        assert 'href="/sync"' in text  # the administrator's own synchronization page
    finally:
        app.stop()


def test_the_event_log_pages_counts_and_filters_by_date_and_its_csv_holds_them_all(tmp_path: Path) -> None:
    """It stopped silently at the newest 500 events: now it says how many match, pages through
    them (newest first), filters by dates, and the CSV holds every one."""
    from ccxcli.ssm.core.db import SsmDb

    folder = tmp_path / "ssm"
    init(tmp_path, folder)
    day0 = 1_800_000_000 - 1_800_000_000 % 86_400
    s = SsmDb.open(folder)
    try:
        with s.tx():
            for n in range(620):
                s.event(day0 + n * 3600, "drill", f"event number {n:03d}")
    finally:
        s.close()
    app = InProcess(folder, PASSWORD)
    try:
        c = logged_in(app)
        _, text = c.get("/events?q=event+number")
        assert "Events 1–100 of 620, newest first" in text and "event number 619" in text and "Page 1 of 7" in text
        assert 'id="older"' in text and 'id="newer"' not in text
        _, text = c.get("/events?q=event+number&page=7")
        assert "Events 601–620 of 620" in text and "event number 000" in text and 'id="older"' not in text
        one_day = time.strftime("%Y-%m-%d", time.gmtime(day0 + 24 * 3600))
        _, text = c.get(f"/events?from={one_day}&to={one_day}")
        assert "of 24," in text and "event number 024" in text and "event number 048" not in text
        _, csv_text = c.get("/events.csv?q=event+number")
        assert len(csv_text.strip().splitlines()) == 621  # the header and every event
        status, text = c.get("/events?from=yesterday")
        assert status == 400 and "Traceback" not in text
    finally:
        app.stop()


def test_a_refused_form_comes_back_filled_in_with_why(site: Any, app: Any) -> None:
    """A refusal in the Actions forms and the account's forms is no dead end: the same form
    again, with what was typed and why it was refused, and the SSM unchanged."""
    _, folder, _, _ = site
    c = logged_in(app)
    c.get("/tokens")
    before = db(folder)
    status, text = c.post("/tokens/create", {"va": "DEFAULT", "description": "night shift", "expires_days": "999"})
    assert status == 400 and "Expire After (days)" in text and 'id="error"' in text
    assert 'value="999"' in text and 'value="night shift"' in text and db(folder) == before
    c.get("/virtual-accounts")
    moved = {"license": "flex-premium", "quantity": "lots", "from": "DEFAULT", "to": "DEFAULT"}
    status, text = c.post("/licenses/transfer", moved)
    assert status == 400 and 'value="lots"' in text and "Virtual Accounts" in text and db(folder) == before
    assert '<option value="flex-premium" selected>' in text


def test_the_pool_and_an_instance_are_drawn_with_their_numbers(tmp_path: Path) -> None:
    """The Licenses tab draws each license's pool over time (accessible SVG, its numbers in a
    table), saying when in use went over what was free; a license's own page adds its use by
    virtual account, its product instances and its history; an instance page draws its usage."""
    home = tmp_path / "lab"
    token = ssm(home, "token", "create").stdout.strip()
    assert ccx(home, "license", "smart", "register", "idtoken", token).returncode == 0
    assert ccx(home, "sim", "agent", "login", "--count", "60").returncode == 0  # on 40 licenses
    assert ccx(home, "sim", "clock", "advance", "2h").returncode == 0
    app = InProcess(home / "ssm" / "cloud", PASSWORD)
    try:
        c = logged_in(app)
        status, text = c.get("/licenses?span=1d")
        assert status == 200 and '<figure class="chart" id="chart-flex-standard">' in text
        assert 'role="img" aria-labelledby="chart-flex-standard-title chart-flex-standard-desc"' in text
        desc = re.search(r'<desc id="chart-flex-standard-desc">([^<]+)</desc>', text)
        assert desc and "40 purchased" in desc.group(1) and "in use at most 60" in desc.group(1)
        assert "over what was free from" in desc.group(1)
        table = text.split('id="licenses"')[1].split("</table>")[0]
        assert "(60 reported)" in table  # In Use is what the pool covers; what was reported is said beside it
        numbers = text.split('id="chart-flex-standard"')[1].split("</figure>")[0]
        assert numbers.count("<tr>") >= 96 + 1  # a day in 15-minute intervals (and the one under way), the header
        status, text = c.get("/license/flex-standard?va=DEFAULT")
        assert status == 200 and 'id="license-chart"' in text and "uccx" in text.split('id="license-instances"')[1]
        assert 'id="by-va"' in text and 'id="license-events"' in text
        _, text = c.get("/")
        alerts = text.split('id="alerts"')[1].split("</table>")[0]
        assert '<th scope="col">Source</th>' in alerts and "Action Due" in alerts
        assert re.search(r"Licenses in deficit: UCCX Flex Standard Agent \d+</td><td>DEFAULT</td>", alerts)  # names
        status, text = c.get("/license/no-such?va=DEFAULT")
        assert status == 400 and "No license" in text
        _, text = c.get("/instances")
        ident = re.search(r'<a href="/instances/(\d+)">', text)
        assert ident
        _, text = c.get(f"/instances/{ident.group(1)}")
        assert 'id="usage-chart"' in text and "UCCX Flex Standard Agent 60 now, at most 60" in text
    finally:
        app.stop()


def test_subscription_terms_are_shown_on_the_licenses_tab_and_the_license_page(tmp_path: Path) -> None:
    """A virtual account's subscription terms (id, license, quantity, dates, status) under its
    licenses, and a license's own on its page; Licenses Expiring among the alerts."""
    home = tmp_path / "lab"
    assert ccx(home, "show", "license", "status").returncode == 0
    added = ssm(home, "license", "add", "flex-premium", "3", "--starts", "2026-03-01", "--ends", "2026-04-30")
    assert added.returncode == 0
    app = InProcess(home / "ssm" / "cloud", PASSWORD)
    try:
        c = logged_in(app)
        status, text = c.get("/licenses?va=DEFAULT")
        assert status == 200
        terms = text.split('id="subscription-terms"')[1].split("</table>")[0]
        assert re.search(r"<td>Sub100001</td><td>UCCX Flex Premium Agent</td><td class=\"n\">3</td>", terms)
        assert "2026-03-01" in terms and "2026-04-30" in terms and "<td>Active</td>" in terms
        assert "Licenses Expiring" in text.split("<h2>Alerts</h2>")[1]
        _, text = c.get("/license/flex-premium?va=DEFAULT")
        assert "Sub100001" in text.split('id="subscription-terms"')[1]
        _, text = c.get("/license/flex-standard?va=DEFAULT")
        assert 'id="subscription-terms"' not in text and "the licenses here are perpetual" in text
    finally:
        app.stop()


def test_notification_preferences_are_set_in_the_portal(tmp_path: Path) -> None:
    """An administrator sets who is mailed, and how, in the portal as with `ccx-ssm notify set`;
    a mistyped address brings the form back as typed; a user who is not an administrator cannot."""
    folder = tmp_path / "ssm"
    init(tmp_path, folder)
    (tmp_path / "pw").write_text("class-pass-1\n")
    assert (
        ssm(tmp_path, "--ssm", str(folder), "user", "add", "ulla", "--password-file", str(tmp_path / "pw")).returncode
        == 0
    )
    app = InProcess(folder, PASSWORD)
    try:
        c = logged_in(app)
        status, text = c.get("/notifications")
        assert status == 200 and 'id="notify-emails"' in text and "0 waiting" in text
        before = db(folder)
        status, text = c.post("/notifications", {"emails": "noc@example.com\nnot an address", "status": "on"})
        assert status == 400 and "Not an email address" in text and "not an address</textarea>" in text
        assert db(folder) == before
        form = {"emails": "noc@example.com\nlic@example.com", "status": "on", "daily_summary": "on", "smtp": ""}
        status, text = c.post("/notifications", form)
        assert status == 200 and "Notification preferences saved." in text
        shown = json.loads(ssm(tmp_path, "--ssm", str(folder), "--json", "notify", "show").stdout)
        assert shown["emails"] == ["noc@example.com", "lic@example.com"] and shown["daily_summary"] is True
        user = app.client()
        user.post("/login", {"username": "ulla", "password": "class-pass-1", "next": "/"}, csrf="")
        status, text = user.get("/notifications")
        assert status == 403 and 'href="/notifications"' not in text
    finally:
        app.stop()


def test_rehost_licenses_from_a_failed_product_in_the_portal(tmp_path: Path) -> None:
    """An SLR instance's Actions offer Rehost Licenses from a Failed Product: the replacement
    node's request code gives it the failed product's licenses; a wrong code brings the form back."""
    home = tmp_path / "lab"
    slr = ["license", "smart", "reservation"]

    def requested(node: str) -> str:
        assert ccx(home, "--node", node, "--yes", *slr, "enable").returncode == 0
        return str(json.loads(ccx(home, "--node", node, "--json", *slr, "request").stdout)["request_code"])

    ccx(home, "sim", "node", "create", "b")
    auth = ssm(home, "reservation", "authorize", "--request", requested("uccx"), "--license", "flex-standard=3")
    assert ccx(home, *slr, "install", auth.stdout.strip()).returncode == 0
    req_b = requested("b")
    app = InProcess(home / "ssm" / "cloud", PASSWORD)
    try:
        c = logged_in(app)
        _, text = c.get("/instances")
        ident = re.search(r'<a href="/instances/(\d+)">', text)
        assert ident
        _, text = c.get(f"/instances/{ident.group(1)}")
        assert f'id="rehost-{ident.group(1)}"' in text and "Rehost Licenses from a Failed Product" in text
        before = db(home / "ssm" / "cloud")
        status, text = c.post(f"/instances/{ident.group(1)}/rehost", {"request_code": req_b[:-3] + "xyz"})
        assert status in (400, 409) and 'id="rehost-request"' in text and req_b[:-3] + "xyz" in text
        assert db(home / "ssm" / "cloud") == before
        status, text = c.post(f"/instances/{ident.group(1)}/rehost", {"request_code": req_b})
        assert status == 200 and "Licenses rehosted from product instance" in text and "&lt;specificPLR&gt;" in text
    finally:
        app.stop()
    code = json.loads(ssm(home, "--json", "instance", "list").stdout)["instances"]
    assert len(code) == 1 and code[0]["kind"] == "slr"


def test_the_inventory_chooses_a_virtual_account_then_its_tabs(tmp_path: Path) -> None:
    """CSSM's Inventory: a virtual account, then General (its description, tokens, alerts),
    Licenses, Product Instances and Event Log, each tab naming the account it shows."""
    home = tmp_path / "lab"
    assert ssm(home, "va", "create", "Sales", "--description", "Sales contact center").returncode == 0
    sales_token = ssm(home, "token", "create", "--va", "Sales", "--description", "sales floor").stdout.strip()
    ssm(home, "token", "create", "--description", "default floor")
    app = InProcess(home / "ssm" / "cloud", PASSWORD)
    try:
        c = logged_in(app)
        status, text = c.get("/inventory?va=Sales")
        assert status == 200 and "Sales contact center" in text and sales_token in text
        assert "default floor" not in text  # only this account's tokens
        tabs = text.split('<nav class="tabs"')[1].split("</nav>")[0]
        assert 'id="tab-general" class="on" aria-current="page"' in tabs
        for href in ("/inventory?va=Sales", "/licenses?va=Sales", "/instances?va=Sales", "/events?va=Sales"):
            assert f'href="{href}"' in tabs
        _, text = c.get("/events?va=Sales")
        assert 'id="tab-events" class="on"' in text and "Event Log of 'Sales'" in text
        rows = text.split('id="events"')[1].split("</table>")[0]
        assert "Sales" in rows and "default floor" not in rows and "DEFAULT" not in rows.replace("Sales", "")
        _, text = c.get("/licenses?va=Sales")
        assert 'id="tab-licenses" class="on"' in text
        _, text = c.get("/instances?va=Sales")
        assert 'id="tab-instances" class="on"' in text
        status, _ = c.get("/inventory?va=Nowhere")
        assert status == 400
    finally:
        app.stop()
