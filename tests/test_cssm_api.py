"""Cisco's Smart Accounts and Licensing API on the served SSM, driven with `requests` as
Cisco's API clients drive it: OAuth2 client credentials, tokens, licenses, devices, and the
SLR family (reserve → install on a node → update → confirm → remove with a return code),
a client limited to one virtual account refused elsewhere, and every error shape. After each
step the node and the SSM agree on what is reserved."""

from __future__ import annotations

import base64
import functools
import json
import ssl
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from labenv import ssm_bytes, ssm_state
from served import Served, ccx, init, ssm

DOMAIN = "acme.example"
P = "/services/api/smart-accounts-and-licensing"


class Api:
    """A script's view of the served SSM: one requests session, the exported certificate trusted."""

    def __init__(self, server: Served, ca: Path) -> None:
        self.base = f"https://localhost:{server.port}"
        self.http = requests.Session()
        # per request: a REQUESTS_CA_BUNDLE in the environment would win over Session.verify
        self.http.request = functools.partial(self.http.request, verify=str(ca))  # type: ignore[method-assign]
        self.token = ""

    def login(self, client_id: str, secret: str) -> dict[str, Any]:
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
        r = self.http.post(self.base + "/as/token.oauth2", data=form)
        assert r.status_code == 200, r.text
        self.token = r.json()["access_token"]
        return r.json()  # type: ignore[no-any-return]

    def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        r = self.http.request(method, self.base + path, json=body, headers={"Authorization": f"Bearer {self.token}"})
        assert r.status_code == status, (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/json")
        return r.json()


def client(home: Path, folder: Path, *extra: str) -> tuple[str, str]:
    r = ssm(home, "--ssm", str(folder), "--json", "api-client", "create", *extra)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    return doc["client_id"], doc["client_secret"]


@pytest.fixture(scope="module")
def cssm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    base = tmp_path_factory.mktemp("cssm")
    folder = base / "cloud"
    pem = init(base, folder, "--domain", DOMAIN)
    assert ssm(base, "--ssm", str(folder), "va", "create", "Sales").returncode == 0
    assert ssm(base, "--ssm", str(folder), "license", "add", "flex-standard", "5", "--va", "Sales").returncode == 0
    ca = base / "cssm-ca.pem"
    assert ssm(base, "--ssm", str(folder), "cert", "export", "--out", str(ca)).returncode == 0
    server = Served(base, folder, password="portal-secret")  # the portal's password; the API takes OAuth2
    api = Api(server, ca)
    api.login(*client(base, folder, "automation"))
    yield base, folder, pem, server, api
    server.stop()


def slr_node(home: Path, pem: Path) -> tuple[str, str]:
    """A node that trusts the served SSM and asked for a reservation: its request code and SN."""
    ccx(home, "sim", "ssm", "trust", str(pem))
    ccx(home, "license", "smart", "reservation", "enable")
    req = json.loads(ccx(home, "--json", "license", "smart", "reservation", "request").stdout)["request_code"]
    return req, json.loads(ccx(home, "--json", "show", "license", "UDI").stdout)["udi"]["sn"]


def db(folder: Path) -> str:
    return ssm_state(folder)


# --- OAuth2 --------------------------------------------------------------------------------------


def test_oauth2_client_credentials_every_way_clients_send_them(cssm: Any) -> None:
    base, folder, _, server, api = cssm
    cid, secret = client(base, folder, "ways")
    url = api.base + "/as/token.oauth2"
    form = {"grant_type": "client_credentials", "client_id": cid, "client_secret": secret}
    basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()
    answers = [
        api.http.post(url, data=form),  # form body
        api.http.post(url, params=form),  # the query string, as public samples send it
        api.http.post(url, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}),
        api.http.post(api.base + "/oauth2/default/v1/token", data=form),  # the newer identity service
        api.http.post(url, data={**form, "grant_type": "password", "username": "u", "password": "p"}),
    ]
    for r in answers:
        assert r.status_code == 200, r.text
        doc = r.json()
        assert doc["token_type"] == "Bearer" and doc["expires_in"] == 3600 and len(doc["access_token"]) > 30
        assert r.headers["cache-control"] == "no-store"
    tokens = {r.json()["access_token"] for r in answers}
    assert len(tokens) == len(answers)
    for t in tokens:  # each one works
        r = api.http.get(api.base + P + "/v2/accounts", headers={"Authorization": f"Bearer {t}"})
        assert r.status_code == 200
    refused = [
        (401, "invalid_client", {**form, "client_secret": secret + "x"}),
        (401, "invalid_client", {**form, "client_id": "nobody"}),
        (400, "invalid_request", {"client_id": cid, "client_secret": secret}),
        (400, "unsupported_grant_type", {**form, "grant_type": "authorization_code"}),
    ]
    before = db(folder)
    for status, code, data in refused:
        r = api.http.post(url, data=data)
        assert r.status_code == status and r.json()["error"] == code, r.text
    assert api.http.post(url, data={"grant_type": "client_credentials"}).json()["error"] == "invalid_client"
    assert db(folder) == before  # refusals change nothing
    one = answers[0].json()["access_token"]
    assert ssm(base, "--ssm", str(folder), "api-client", "revoke", cid).returncode == 0
    r = api.http.get(api.base + P + "/v2/accounts", headers={"Authorization": f"Bearer {one}"})
    assert r.status_code == 401 and r.json()["status"] == "ERROR"  # a revoked client's tokens stop working
    assert api.http.post(url, data=form).status_code == 401


def test_tokens_expire_on_the_wall_clock_and_secrets_are_kept_hashed(tmp_path: Path) -> None:
    import time

    from ccxcli.ssm.core import apiclient
    from ccxcli.ssm.core.db import SsmDb

    s = SsmDb.create(tmp_path / "s", "Acct", now=0)
    try:
        cid, secret = apiclient.create(s, "c", [], 0)
        wall = int(time.time())
        tok = apiclient.grant(s, cid, secret, wall)["access_token"]
        assert apiclient.bearer(s, tok, wall + 3599).id == cid
        with pytest.raises(apiclient.BadCredentials, match="expired"):
            apiclient.bearer(s, tok, wall + 3600)
    finally:
        s.close()
    stored = ssm_bytes(tmp_path / "s")
    assert secret.encode() not in stored and tok.encode() not in stored


def test_api_client_commands(cssm: Any) -> None:
    base, folder, _, _, _ = cssm
    r = ssm(base, "--ssm", str(folder), "api-client", "create", "shown")
    assert r.returncode == 0 and "Client ID: " in r.stdout and "Client Secret: " in r.stdout
    secret = r.stdout.split("Client Secret: ")[1].split()[0]
    listed = ssm(base, "--ssm", str(folder), "--json", "api-client", "list")
    assert "shown" in listed.stdout and secret not in listed.stdout
    for argv, words in (
        (["api-client", "revoke", "nope"], "No API client"),
        (["api-client", "create", "x", "--va", "Nowhere"], "No virtual account"),
    ):
        before = db(folder)
        r = ssm(base, "--ssm", str(folder), *argv)
        assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert db(folder) == before
    r = ssm(base, "--ssm", str(folder), "--json", "account", "show")
    assert json.loads(r.stdout)["domain"] == DOMAIN


# --- errors Cisco's clients read -------------------------------------------------------------------


def test_every_error_is_json_with_status_and_message(cssm: Any) -> None:
    _, _, _, _, api = cssm
    cases = [
        ("GET", P + "/v2/accounts", None, {"Authorization": ""}, 401),
        ("GET", P + "/v2/accounts", None, {"Authorization": "Bearer not-a-token"}, 401),
        ("GET", P + "/v1/accounts/other.example/customer/virtual-accounts", None, None, 404),
        ("GET", P + "/v3/accounts", None, None, 404),
        ("GET", P + "/v1/no/such/endpoint", None, None, 404),
        ("DELETE", P + "/v2/accounts", None, None, 405),
        ("GET", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Nowhere/tokens", None, None, 404),
        ("POST", P + f"/v1/accounts/{DOMAIN}/licenses", {"limit": "many"}, None, 400),
        ("POST", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT/reserve-licenses", {}, None, 400),
    ]
    for method, path, body, headers, status in cases:
        h = {"Authorization": f"Bearer {api.token}", **(headers or {})}
        r = api.http.request(method, api.base + path, json=body, headers=h)
        assert r.status_code == status, (path, r.status_code, r.text)
        doc = r.json()
        assert doc["status"] == "ERROR" and doc["statusMessage"], (path, doc)
    r = api.http.post(
        api.base + P + f"/v1/accounts/{DOMAIN}/licenses",
        data=b"{not json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert r.status_code == 400 and r.json()["statusMessage"] == "The request body is not valid JSON."
    assert api.http.get(api.base + "/no-such-page").status_code == 404  # the portal's pages are not JSON


def test_the_gateway_tolerates_repeated_slashes_strings_for_numbers_and_extra_fields(cssm: Any) -> None:
    _, _, _, _, api = cssm
    body = {"virtualAccounts": ["DEFAULT"], "limit": "3", "offset": "1", "sortBy": "license", "x": [1]}
    doc = api.call("POST", f"//services/api//smart-accounts-and-licensing/v1/accounts/{DOMAIN}//licenses", body)
    assert doc["status"] == "SUCCESS" and len(doc["licenses"]) == 3 and doc["totalRecords"] == 10


# --- accounts, virtual accounts, tokens, licenses --------------------------------------------------


def test_accounts_and_virtual_accounts(cssm: Any) -> None:
    _, _, _, _, api = cssm
    for version in ("v1", "v2"):
        doc = api.call("GET", P + f"/{version}/accounts")
        (acct,) = doc["accounts"]
        assert acct["accountDomain"] == DOMAIN and acct["accountName"] == "Demo Smart Account"
        assert acct["roles"] == [{"role": "Smart Account Administrator"}] and doc["statusMessage"]
    for kind in ("customer", "CUSTOMER"):  # domains and the account type: any case
        doc = api.call("GET", P + f"/v1/accounts/{DOMAIN.upper()}/{kind}/virtual-accounts")
        names = {v["name"]: v for v in doc["virtualAccounts"]}
        assert set(names) == {"DEFAULT", "Sales"} and names["DEFAULT"]["isDefault"] == "true"
        assert names["Sales"]["isDefault"] == "false" and names["Sales"]["commerceAccessLevel"]
    assert isinstance(names["Sales"]["virtualAccountId"], int) and doc["statusMessage"]


def test_discovery_as_scripts_call_it(cssm: Any, tmp_path: Path) -> None:
    _, _, pem, _, api = cssm
    doc = api.call("GET", P + f"/v1/accounts/search?domain={DOMAIN}")
    assert doc["totalRecords"] == 1 and doc["statusMessage"]
    (acct,) = doc["accounts"]
    assert acct["domain"] == DOMAIN and acct["name"] == "Demo Smart Account" and acct["type"] == "CUSTOMER"
    assert isinstance(acct["id"], int) and acct["status"] == "ACTIVE"
    assert api.call("GET", P + "/v1/accounts/search?domain=nowhere.example")["totalRecords"] == 0
    home = tmp_path / "node"
    req, _ = slr_node(home, pem)
    from ccxcli.core.catalogue import BY_ALIAS

    api.call(
        "POST",
        P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT/reserve-licenses",
        {
            "reservationRequests": [
                {"reservationCode": req, "licenses": [{"entitlementTag": BY_ALIAS["flex-standard"].tag, "quantity": 1}]}
            ]
        },
    )
    doc = api.call("GET", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT/devices?limit=100")
    sn = json.loads(ccx(home, "--json", "show", "license", "UDI").stdout)["udi"]["sn"]
    assert doc["totalRecords"] >= 1 and sn in [d["sudi"]["udiSerialNumber"] for d in doc["devices"]]
    assert all(d["productTagName"] and d["virtualAccount"] == "DEFAULT" for d in doc["devices"])
    rows = api.call("POST", P + f"/v1/accounts/{DOMAIN}/licenses", {})["licenses"]
    assert all(r["billingType"] and r["licenseSubstitutions"] == [] and r["licenseDetails"][0]["status"] for r in rows)


def test_tokens_create_list_revoke(cssm: Any) -> None:
    base, folder, _, _, api = cssm
    t = P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT/tokens"
    doc = api.call(
        "POST",
        t,
        {"expiresAfterDays": "7", "description": "fleet", "exportControlled": "Not Allowed", "unknownField": True},
    )
    info = doc["tokenInfo"]
    assert doc["status"] == "SUCCESS" and info["exportControlled"] == "Not Allowed" and info["status"] == "VALID"
    listed = json.loads(ssm(base, "--ssm", str(folder), "--json", "token", "list").stdout)["tokens"]
    assert info["token"] in [x["token"] for x in listed]  # the same SSM: the CLI sees it
    logged = json.loads(ssm(base, "--ssm", str(folder), "--json", "events", "--last", "200").stdout)["events"]
    made = [e for e in logged if e["kind"] == "token"]  # oldest first: the newest is the one just made
    assert made[-1]["user"] == "API client automation"  # the Event Log's User: who made it
    assert info["token"] in [x["token"] for x in api.call("GET", t)["tokens"]]
    doc = api.call("POST", t + "/revoke", {"tokens": [info["token"], {"token": "no-such-token"}]})
    assert doc["status"] == "PARTIAL"
    assert [(x["token"], x["status"]) for x in doc["tokens"]] == [
        (info["token"], "SUCCESS"),
        ("no-such-token", "ERROR"),
    ]
    assert doc["tokens"][1]["statusMessage"]
    assert {x["token"]: x["status"] for x in api.call("GET", t)["tokens"]}[info["token"]] == "REVOKED"
    doc = api.call("POST", t + "/revoke", {"tokens": ["no-such-token"]}, status=409)
    assert doc["status"] == "ERROR" and doc["tokens"][0]["status"] == "ERROR"


def pool(base: Path, folder: Path, va: str = "DEFAULT") -> dict[str, dict[str, Any]]:
    out = ssm(base, "--ssm", str(folder), "--json", "license", "list", "--va", va).stdout
    return {r["alias"]: r for r in json.loads(out)["licenses"]}


def test_licenses_as_cisco_lists_them(cssm: Any) -> None:
    base, folder, _, _, api = cssm
    doc = api.call(
        "POST", P + f"/v1/accounts/{DOMAIN}/licenses", {"virtualAccounts": ["DEFAULT"], "limit": 50, "offset": 0}
    )
    rows = {r["entitlementTag"]: r for r in doc["licenses"]}
    from ccxcli.core.catalogue import BY_ALIAS

    for alias, p in pool(base, folder).items():
        r = rows[BY_ALIAS[alias].tag]
        got = (r["quantity"], r["inUse"], r["reserved"], r["available"])
        assert got == (p["purchased"], p["in_use"], p["reserved"], p["available"])
        assert r["license"] == BY_ALIAS[alias].name and r["virtualAccount"] == "DEFAULT"
        assert r["status"] == "In Compliance"
    both = api.call("POST", P + f"/v2/accounts/{DOMAIN}/licenses", {})["licenses"]
    assert {r["virtualAccount"] for r in both} == {"DEFAULT", "Sales"}  # default: every virtual account


# --- the SLR family -------------------------------------------------------------------------------


def test_reserve_install_update_confirm_remove(cssm: Any, tmp_path: Path) -> None:
    base, folder, pem, _, api = cssm
    home = tmp_path / "node"
    req, sn = slr_node(home, pem)
    va = P + f"/v2/accounts/{DOMAIN}/virtual-accounts/DEFAULT"
    from ccxcli.core.catalogue import BY_ALIAS

    std, prem = BY_ALIAS["flex-standard"].tag, BY_ALIAS["flex-premium"].tag
    tampered = req[:-1] + ("0" if req[-1] != "0" else "1")
    before = pool(base, folder)["flex-standard"]["reserved"]
    doc = api.call(
        "POST",
        va + "/reserve-licenses",
        {
            "reservationRequests": [
                {
                    "reservationCode": req,
                    "reservationType": "SPECIFIC",
                    "licenses": [
                        {"entitlementTag": std, "quantity": "4", "precedence": "LONGEST_TERM_FIRST"},
                        {"entitlementTag": prem, "quantity": 1},
                    ],
                },
                {
                    "reservationCode": tampered,
                    "reservationType": "SPECIFIC",
                    "licenses": [{"entitlementTag": std, "quantity": 1}],
                },
            ]
        },
    )
    assert doc["status"] == "PARTIAL"
    ok, bad = doc["authorizationCodes"]
    assert ok["status"] == "COMPLETE" and ok["reservationCode"] == req
    assert ok["authorizationCode"].startswith("<specificPLR>")
    assert bad["status"] == "ERROR" and "Request Code" in bad["statusMessage"] and "authorizationCode" not in bad
    assert pool(base, folder)["flex-standard"]["reserved"] == before + 4  # the tampered one reserved nothing

    r = ccx(home, "license", "smart", "reservation", "install", ok["authorizationCode"])
    assert r.returncode == 0, r.stderr
    node = json.loads(ccx(home, "--json", "show", "license", "status").stdout)["reservation"]["reserved"]
    assert node == {"flex-standard": 4, "flex-premium": 1}

    devices = api.call("POST", P + f"/v1/accounts/{DOMAIN}/devices", {"virtualAccounts": ["DEFAULT"]})["devices"]
    (dev,) = [d for d in devices if d["sudi"]["udiSerialNumber"] == sn]
    assert dev["sudi"]["udiPid"] == "UCCX" and dev["productTagName"].startswith("regid.")
    assert dev["reservationType"] == "SPECIFIC"
    assert {x["entitlementTag"]: x["quantity"] for x in dev["licenses"]} == {std: 4, prem: 1}

    wanted = [{"entitlementTag": std, "quantity": 6}, {"entitlementTag": prem, "quantity": 1}]
    update = {"updateRequests": [{"sudi": {"udiPid": "UCCX", "udiSerialNumber": sn}, "licenses": wanted}]}
    doc = api.call("POST", va + "/update-licenses", update)
    (upd,) = doc["authorizationCodes"]
    assert doc["status"] == "COMPLETE" and upd["udiSerialNumber"] == sn
    assert pool(base, folder)["flex-standard"]["reserved"] == before + 6  # held until confirmed
    conf = json.loads(
        ccx(home, "--json", "license", "smart", "reservation", "install", upd["authorizationCode"]).stdout
    )["confirmation_code"]
    confirm = {"confirmationRequests": [{"sudi": {"udiSerialNumber": sn}, "confirmationCode": "00000000"}]}
    doc = api.call("POST", va + "/confirm-licenses", confirm, status=409)
    assert doc["status"] == "ERROR" and doc["confirmations"][0]["statusMessage"]
    confirm["confirmationRequests"][0]["confirmationCode"] = conf
    doc = api.call("POST", va + "/confirm-licenses", confirm)
    assert doc["status"] == "COMPLETE" and doc["confirmations"][0]["status"] == "COMPLETE"
    node = json.loads(ccx(home, "--json", "show", "license", "status").stdout)["reservation"]["reserved"]
    assert node == {"flex-standard": 6, "flex-premium": 1}
    assert pool(base, folder)["flex-standard"]["reserved"] == before + 6

    ret = json.loads(ccx(home, "--yes", "--json", "license", "smart", "reservation", "return").stdout)["return_code"]
    wrong = {"productInstances": [{"sudi": {"udiSerialNumber": sn}}]}
    doc = api.call("POST", va + "/devices/remove", wrong, status=409)  # a reservation needs its return code
    said = doc["productInstances"][0]["statusMessage"]
    assert "'returnCode' in the request" in said and "--" not in said and "ccx-ssm" not in said  # the API's words
    again = api.call(
        "POST",
        va + "/reserve-licenses",
        {"reservationRequests": [{"reservationCode": req, "licenses": [{"entitlementTag": std, "quantity": 1}]}]},
        status=409,
    )["authorizationCodes"][0]["statusMessage"]
    assert "update-licenses" in again and "ccx-ssm" not in again, again
    doc = api.call(
        "POST",
        va + "/devices/remove",
        {"productInstances": [{"sudi": {"udiSerialNumber": sn}, "reservationReturnCode": ret}]},
    )
    assert doc["status"] == "SUCCESS" and doc["productInstances"][0]["udiSerialNumber"] == sn
    assert pool(base, folder)["flex-standard"]["reserved"] == before
    devices = api.call("POST", P + f"/v1/accounts/{DOMAIN}/devices", {})["devices"]
    assert sn not in [d["sudi"]["udiSerialNumber"] for d in devices]


def test_a_client_limited_to_a_virtual_account_sees_and_changes_only_it(cssm: Any, tmp_path: Path) -> None:
    base, folder, pem, server, _ = cssm
    ca = base / "cssm-ca.pem"
    sales = Api(server, ca)
    sales.login(*client(base, folder, "sales-team", "--va", "Sales"))
    doc = sales.call("GET", P + f"/v1/accounts/{DOMAIN}/customer/virtual-accounts")
    assert [v["name"] for v in doc["virtualAccounts"]] == ["Sales"]
    assert sales.call("GET", P + "/v2/accounts")["accounts"][0]["roles"] == [
        {"role": "Virtual Account Administrator", "virtualAccount": "Sales"}
    ]
    rows = sales.call("POST", P + f"/v1/accounts/{DOMAIN}/licenses", {})["licenses"]
    assert {r["virtualAccount"] for r in rows} == {"Sales"}
    home = tmp_path / "node"
    req, _ = slr_node(home, pem)
    from ccxcli.core.catalogue import BY_ALIAS

    body = {
        "reservationRequests": [
            {"reservationCode": req, "licenses": [{"entitlementTag": BY_ALIAS["flex-standard"].tag, "quantity": 1}]}
        ]
    }
    before = db(folder)
    for method, path, data in (
        ("GET", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT/tokens", None),
        ("POST", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT/tokens", {}),
        ("POST", P + f"/v1/accounts/{DOMAIN}/licenses", {"virtualAccounts": ["DEFAULT"]}),
        ("POST", P + f"/v1/accounts/{DOMAIN}/devices", {"virtualAccounts": ["Sales", "DEFAULT"]}),
        ("POST", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT/reserve-licenses", body),
    ):
        doc = sales.call(method, path, data, status=404)  # as for a virtual account that does not exist
        assert doc["statusMessage"] == "No virtual account 'DEFAULT'. Known: Sales.", doc  # its own, no other
    assert (
        sales.call("GET", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Nowhere/tokens", None, status=404)[
            "statusMessage"
        ]
        == "No virtual account 'Nowhere'. Known: Sales."
    )
    assert db(folder) == before
    doc = sales.call("POST", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Sales/reserve-licenses", body)
    assert doc["status"] == "COMPLETE" and pool(base, folder, "Sales")["flex-standard"]["reserved"] == 1


def test_the_readme_script_runs_against_the_served_ssm(cssm: Any, tmp_path: Path) -> None:
    """examples/cssm/reserve.py, written for Cisco, with only where the hosts point changed."""
    import os
    import subprocess
    import sys

    base, folder, pem, server, _ = cssm
    home = tmp_path / "node"
    req, _ = slr_node(home, pem)
    cid, secret = client(base, folder, "script")
    from ccxcli.core.catalogue import BY_ALIAS

    where = f"https://localhost:{server.port}"
    env = dict(
        os.environ,
        CSSM_SSO=where,
        CSSM_API=where,
        REQUESTS_CA_BUNDLE=str(base / "cssm-ca.pem"),
        CSSM_CLIENT_ID=cid,
        CSSM_CLIENT_SECRET=secret,
    )
    script = Path(__file__).resolve().parents[1] / "examples" / "cssm" / "reserve.py"
    tag = BY_ALIAS["flex-standard"].tag
    r = subprocess.run(
        [sys.executable, str(script), DOMAIN, "DEFAULT", req, f"{tag}=2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert ccx(home, "license", "smart", "reservation", "install", r.stdout.strip()).returncode == 0
    node = json.loads(ccx(home, "--json", "show", "license", "status").stdout)["reservation"]["reserved"]
    assert node == {"flex-standard": 2}
    r = subprocess.run(
        [sys.executable, str(script), DOMAIN, "DEFAULT", req, f"{tag}=2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and r.stderr.startswith("refused (409): ")  # the same request again: replayed


# --- trust ----------------------------------------------------------------------------------------


def test_the_exported_certificate_is_the_served_one_for_every_name(tmp_path: Path) -> None:
    folder = tmp_path / "swapi"
    r = ssm(
        tmp_path, "--ssm", str(folder), "init", "--demo", "--hostname", "swapi.cisco.com", "--san", "cloudsso.cisco.com"
    )
    assert r.returncode == 0, r.stderr
    ca = tmp_path / "ca.pem"
    assert ssm(tmp_path, "--ssm", str(folder), "cert", "export", "--out", str(ca)).returncode == 0
    exported = ca.read_text()
    server = Served(tmp_path, folder)
    try:
        served = ssl.get_server_certificate(("127.0.0.1", server.port))
        assert ssl.PEM_cert_to_DER_cert(served) == ssl.PEM_cert_to_DER_cert(exported)  # kept across the start
        for name in ("swapi.cisco.com", "cloudsso.cisco.com"):  # as a hosts-file entry would send them
            pool = urllib3.HTTPSConnectionPool(
                "127.0.0.1",
                server.port,
                server_hostname=name,
                assert_hostname=name,
                ca_certs=str(ca),
                cert_reqs="CERT_REQUIRED",
            )
            r2 = pool.request(
                "POST",
                "/as/token.oauth2",
                body="grant_type=client_credentials",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert r2.status == 401 and json.loads(r2.data)["error"] == "invalid_client"
        bad = urllib3.HTTPSConnectionPool(
            "127.0.0.1",
            server.port,
            server_hostname="evil.example",
            assert_hostname="evil.example",
            ca_certs=str(ca),
            retries=False,
        )
        with pytest.raises(urllib3.exceptions.SSLError):
            bad.request("GET", "/")
    finally:
        server.stop()
    again = ssm(tmp_path, "--ssm", str(folder), "cert", "export")
    assert again.stdout == exported  # still the same after the server stopped


def test_the_slr_lifecycle_in_ciscos_own_request_keys(cssm: Any, tmp_path: Path) -> None:
    """Shaped exactly as public scripts for Cisco's API send them: `reservationUpdateRequests`
    (sudi, productTagName, licenses with precedence), `reservationConfirmationRequests`, and
    devices/remove with v2's `productInstacesRemoveRequests` (Cisco's spelling) and v3's
    `productInstancesRemoveRequests` (`returnCode`, `status == "SUCCESS"`)."""
    base, folder, pem, _, api = cssm
    from ccxcli.core.catalogue import BY_ALIAS

    std = BY_ALIAS["flex-standard"].tag
    va = P + f"/v2/accounts/{DOMAIN}/virtual-accounts/DEFAULT"
    tag = "regid.2017-11.com.cisco.UCCX,12.5_ccxcli"
    before = pool(base, folder)["flex-standard"]["reserved"]
    for version, key in (("v2", "productInstacesRemoveRequests"), ("v3", "productInstancesRemoveRequests")):
        home = tmp_path / version
        req, sn = slr_node(home, pem)
        sudi = {"udiPid": "UCCX", "udiSerialNumber": sn}
        doc = api.call(
            "POST",
            va + "/reserve-licenses",
            {
                "reservationRequests": [
                    {
                        "reservationCode": req,
                        "reservationType": "SPECIFIC",
                        "licenses": [{"entitlementTag": std, "quantity": 2, "precedence": "LONGEST_TERM_FIRST"}],
                    }
                ]
            },
        )
        assert (
            ccx(
                home, "license", "smart", "reservation", "install", doc["authorizationCodes"][0]["authorizationCode"]
            ).returncode
            == 0
        )
        doc = api.call(
            "POST",
            va + "/update-licenses",
            {
                "reservationUpdateRequests": [
                    {
                        "sudi": sudi,
                        "productTagName": tag,
                        "licenses": [{"entitlementTag": std, "quantity": 3, "precedence": "LONGEST_TERM_FIRST"}],
                    }
                ]
            },
        )
        code = doc["authorizationCodes"][0]["authorizationCode"]
        conf = json.loads(ccx(home, "--json", "license", "smart", "reservation", "install", code).stdout)[
            "confirmation_code"
        ]
        doc = api.call(
            "POST",
            va + "/confirm-licenses",
            {"reservationConfirmationRequests": [{"sudi": sudi, "productTagName": tag, "confirmationCode": conf}]},
        )
        assert doc["status"] == "COMPLETE"
        assert json.loads(ccx(home, "--json", "show", "license", "status").stdout)["reservation"]["reserved"] == {
            "flex-standard": 3
        }
        ret = json.loads(ccx(home, "--yes", "--json", "license", "smart", "reservation", "return").stdout)[
            "return_code"
        ]
        path = P + f"/{version}/accounts/{DOMAIN}/virtual-accounts/DEFAULT/devices/remove"
        doc = api.call("POST", path, {key: [{"sudi": sudi, "productTagName": tag, "returnCode": ret}]})
        assert doc["status"] == "SUCCESS", doc
        assert pool(base, folder)["flex-standard"]["reserved"] == before  # node and SSM agree: all returned


def test_licenses_for_an_empty_virtual_account_list_and_tokens_valid_newest_first(cssm: Any) -> None:
    _, _, _, _, api = cssm
    every = api.call("POST", P + f"/v1/accounts/{DOMAIN}/licenses", {"virtualAccounts": []})["licenses"]
    assert {r["virtualAccount"] for r in every} == {"DEFAULT", "Sales"}  # the empty list means every one
    tokens = P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Sales/tokens"
    first = api.call("POST", tokens, {"description": "first"})["tokenInfo"]["token"]
    second = api.call("POST", tokens, {"description": "second"})["tokenInfo"]["token"]
    api.call("POST", tokens + "/revoke", {"tokens": [second]})
    listed = api.call("GET", tokens)["tokens"]
    assert listed[0]["token"] == first and listed[0]["status"] == "VALID"  # not the revoked one, newer though it is
    third = api.call("POST", tokens, {"description": "third"})["tokenInfo"]["token"]
    assert api.call("GET", tokens)["tokens"][0]["token"] == third  # newest valid first


@pytest.mark.parametrize(
    "path",
    [
        "/backend/api/nothing",
        "/software/v1/apis",
        "/licservice/license",
        "/its/service/oddce/services/DDCEService",
        "/services/api/nothing/here",
    ],
)
def test_unknown_paths_under_cisco_prefixes_answer_json(cssm: Any, path: str) -> None:
    _, _, _, _, api = cssm
    doc = api.call("GET", path, status=404)
    assert doc["status"] == "ERROR" and doc["statusMessage"].startswith("No such endpoint")


def test_ssm_on_prem_monitoring_api_as_the_centreon_plugin_polls_it(tmp_path: Path) -> None:
    """SSM On-Prem's own API, called as the public Centreon plugin for SSM On-Prem calls it: a JSON
    client_credentials body to /backend/oauth/token, then POST {limit: -1} with the bearer token to
    /api/v1/accounts/{account}/licenses and /alerts, reading licenses[].{license, status, inUse,
    available, quantity} and alerts[].{messageType, severity, source}."""
    from urllib.parse import quote

    home = tmp_path / "lab"
    assert ssm(home, "license", "list").returncode == 0  # the lab and its cloud SSM
    folder = tmp_path / "onprem"
    r = ssm(
        home,
        "--ssm",
        str(folder),
        "init",
        "--on-prem",
        "--standalone",
        "--demo",
        "--hostname",
        "localhost",
        "--account",
        "Site Account",
    )
    assert r.returncode == 0, r.stderr
    ca = tmp_path / "ca.pem"
    assert ssm(home, "--ssm", str(folder), "cert", "export", "--out", str(ca)).returncode == 0
    client_id, secret = client(home, folder, "monitoring")
    server = Served(home, folder, password="portal-secret")
    try:
        http = requests.Session()
        base = f"https://localhost:{server.port}"
        r = http.post(
            base + "/backend/oauth/token",
            json={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
            verify=str(ca),
        )
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        assert r.json()["expires_in"] > 10
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        account = quote("Site Account")
        lic = http.post(
            base + f"/api/v1/accounts/{account}/licenses", json={"limit": -1}, headers=headers, verify=str(ca)
        )
        assert lic.status_code == 200, lic.text
        rows = {x["license"]: x for x in lic.json()["licenses"]}
        assert rows and all({"license", "status", "inUse", "available", "quantity"} <= set(x) for x in rows.values())
        assert all(x["status"] == "In Compliance" for x in rows.values())  # the plugin's default critical test
        alerts = http.post(
            base + f"/api/v1/accounts/{account}/alerts", json={"limit": -1}, headers=headers, verify=str(ca)
        )
        assert alerts.status_code == 200 and isinstance(alerts.json()["alerts"], list), alerts.text
        assert all(a["severity"] in ("Minor", "Major") for a in alerts.json()["alerts"])
        wrong = http.post(base + "/api/v1/accounts/Other/licenses", json={"limit": -1}, headers=headers, verify=str(ca))
        assert wrong.status_code == 404 and wrong.json()["status"] == "ERROR"
        anonymous = http.post(base + f"/api/v1/accounts/{account}/licenses", json={"limit": -1}, verify=str(ca))
        assert anonymous.status_code == 401
    finally:
        server.stop()


# --- write calls: virtual accounts, transfers, subscriptions, conversion -------------------------


@pytest.fixture
def own(tmp_path: Path) -> Any:
    """A served SSM of its own (these tests change accounts the module's fixture shares)."""
    base, folder = tmp_path, tmp_path / "cloud"
    pem = init(base, folder, "--domain", DOMAIN)
    assert ssm(base, "--ssm", str(folder), "va", "create", "Sales").returncode == 0
    ca = base / "ca.pem"
    assert ssm(base, "--ssm", str(folder), "cert", "export", "--out", str(ca)).returncode == 0
    server = Served(base, folder, password="portal-secret")
    api = Api(server, ca)
    api.login(*client(base, folder, "automation"))
    try:
        yield base, folder, pem, server, api
    finally:
        server.stop()


def test_virtual_accounts_are_created_and_deleted_as_public_scripts_do(own: Any) -> None:
    """Create as a public script sends it (`{name, description, isDefault: "false",
    commerceAccessLevel: "PUBLIC"}` to `…/{domain}/CUSTOMER/virtual-accounts`); delete an empty one."""
    base, folder, _, server, api = own
    vas = P + f"/v1/accounts/{DOMAIN}/CUSTOMER/virtual-accounts"
    doc = api.call(
        "POST",
        vas,
        {"name": "Support", "description": "Support desk", "isDefault": "false", "commerceAccessLevel": "PUBLIC"},
        status=201,
    )
    assert doc["status"] == "SUCCESS" and doc["virtualAccount"]["name"] == "Support"
    listed = {v["name"]: v for v in api.call("GET", vas)["virtualAccounts"]}
    assert listed["Support"]["description"] == "Support desk" and listed["Support"]["isDefault"] == "false"
    assert listed["Support"]["commerceAccessLevel"] == "PUBLIC"
    before = db(folder)
    assert api.call("POST", vas, {"name": "support"}, status=409)["statusMessage"] == (
        "Virtual account 'support' already exists."
    )
    for bad in (
        {"name": "X", "isDefault": "true"},
        {"name": "X", "commerceAccessLevel": "SECRET"},
        {"name": 5},
        {"name": "a\nb"},
        {},
    ):
        assert api.call("POST", vas, bad, status=400)["status"] == "ERROR"
    limited = Api(server, base / "ca.pem")
    limited.login(*client(base, folder, "sales-only", "--va", "Sales"))
    assert limited.call("POST", vas, {"name": "Mine"}, status=403)["statusMessage"].startswith(
        "This API client is limited to Sales"
    )
    limited.call("DELETE", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Support", status=403)
    ssm(base, "--ssm", str(folder), "license", "add", "flex-standard", "1", "--va", "Sales")
    before = db(folder)
    assert (
        "still holds"
        in api.call("DELETE", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Sales", status=409)["statusMessage"]
    )
    api.call("DELETE", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT", status=409)
    assert db(folder) == before  # refused: nothing changed
    doc = api.call("DELETE", P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Support")
    assert doc["status"] == "SUCCESS" and "Support" not in {v["name"] for v in api.call("GET", vas)["virtualAccounts"]}


def test_licenses_transfer_as_public_scripts_send_it(own: Any) -> None:
    base, folder, _, _, api = own
    from ccxcli.core.catalogue import BY_ALIAS

    path = P + f"/v1/accounts/{DOMAIN}/virtual-accounts/DEFAULT/licenses/transfer"
    name = BY_ALIAS["flex-standard"].name
    have = pool(base, folder)["flex-standard"]["purchased"]
    doc = api.call(
        "POST",
        path,
        {
            "licenses": [
                {
                    "license": name,
                    "licenseType": "PERPETUAL",
                    "quantity": 2,
                    "targetVirtualAccount": "Sales",
                    "precedence": "LONGEST_TERM_FIRST",
                }
            ]
        },
    )
    assert doc["status"] == "SUCCESS" and doc["licenses"][0]["status"] == "SUCCESS", doc
    assert pool(base, folder)["flex-standard"]["purchased"] == have - 2
    assert pool(base, folder, "Sales")["flex-standard"]["purchased"] == 2
    before = db(folder)
    too_many = {"license": name, "quantity": have * 10, "targetVirtualAccount": "Sales"}
    assert api.call("POST", path, {"licenses": [too_many]}, status=409)["status"] == "ERROR"
    nowhere = {"license": name, "quantity": 1, "targetVirtualAccount": "Nowhere"}
    assert api.call("POST", path, {"licenses": [nowhere]}, status=404)["status"] == "ERROR"
    term = {"license": name, "licenseType": "TERM", "quantity": 1, "targetVirtualAccount": "Sales"}
    assert api.call("POST", path, {"licenses": [term]}, status=400)["status"] == "ERROR"
    assert db(folder) == before
    one_of_two = {
        "licenses": [
            {"entitlementTag": BY_ALIAS["flex-standard"].tag, "quantity": "1", "targetVirtualAccount": "Sales"},
            too_many,
        ]
    }
    doc = api.call("POST", path, one_of_two)
    assert doc["status"] == "PARTIAL" and [i["status"] for i in doc["licenses"]] == ["SUCCESS", "ERROR"]
    assert pool(base, folder, "Sales")["flex-standard"]["purchased"] == 3


def test_a_reserved_instance_transfers_with_its_reservation(own: Any, tmp_path: Path) -> None:
    """CSSM moves a reservation with its instance: what it holds leaves one pool for the
    other, and the node's return code releases it in the new one."""
    base, folder, pem, _, api = own
    from ccxcli.core.catalogue import BY_ALIAS

    std = BY_ALIAS["flex-standard"].tag
    home = tmp_path / "node"
    req, sn = slr_node(home, pem)
    va = P + f"/v1/accounts/{DOMAIN}/virtual-accounts"
    doc = api.call(
        "POST",
        va + "/DEFAULT/reserve-licenses",
        {"reservationRequests": [{"reservationCode": req, "licenses": [{"entitlementTag": std, "quantity": 3}]}]},
    )
    assert (
        ccx(
            home, "license", "smart", "reservation", "install", doc["authorizationCodes"][0]["authorizationCode"]
        ).returncode
        == 0
    )
    default_before = pool(base, folder)["flex-standard"]["reserved"]
    move = {"productInstances": [{"sudi": {"udiPid": "UCCX", "udiSerialNumber": sn}, "targetVirtualAccount": "Sales"}]}
    before = db(folder)
    doc = api.call("POST", va + "/DEFAULT/devices/transfer", move, status=409)  # Sales has no flex-standard
    assert "available in 'Sales'" in doc["productInstances"][0]["statusMessage"] and db(folder) == before
    ssm(base, "--ssm", str(folder), "license", "add", "flex-standard", "5", "--va", "Sales")
    doc = api.call("POST", va + "/DEFAULT/devices/transfer", move)
    assert doc["status"] == "SUCCESS", doc
    assert pool(base, folder)["flex-standard"]["reserved"] == default_before - 3
    assert pool(base, folder, "Sales")["flex-standard"]["reserved"] == 3
    listed = api.call("GET", va + "/Sales/devices")["devices"]
    assert [(d["sudi"]["udiSerialNumber"], d["reservationType"]) for d in listed] == [(sn, "SPECIFIC")]
    gone = api.call("POST", va + "/DEFAULT/devices/transfer", move, status=409)  # no longer in DEFAULT
    assert gone["productInstances"][0]["statusMessage"].startswith("No product instance")
    ret = json.loads(ccx(home, "--yes", "--json", "license", "smart", "reservation", "return").stdout)["return_code"]
    remove = {"productInstacesRemoveRequests": [{"sudi": {"udiSerialNumber": sn}, "returnCode": ret}]}
    doc = api.call("POST", P + f"/v2/accounts/{DOMAIN}/virtual-accounts/Sales/devices/remove", remove)
    assert doc["status"] == "SUCCESS"
    assert pool(base, folder, "Sales")["flex-standard"]["reserved"] == 0  # released where it went: they agree
    assert pool(base, folder)["flex-standard"]["reserved"] == default_before - 3


def test_license_subscriptions_list_what_each_virtual_account_holds(own: Any) -> None:
    """`POST …/{domain}/license-subscriptions` with `{virtualAccounts, limit, offset}`, as
    public code calls it; the lab's licenses have no terms (no id, no dates)."""
    base, folder, _, _, api = own
    path = P + f"/v1/accounts/{DOMAIN}/license-subscriptions"
    doc = api.call("POST", path, {"virtualAccounts": ["DEFAULT"], "limit": 50, "offset": 0})
    held = {r["license"]: r["quantity"] for r in doc["subscriptions"]}
    from ccxcli.core.catalogue import BY_ALIAS

    expected = {BY_ALIAS[a].name: r["purchased"] for a, r in pool(base, folder).items() if r["purchased"]}
    assert held == expected and doc["totalRecords"] == len(expected) > 0
    assert all(r["virtualAccount"] == "DEFAULT" and r["startDate"] is None for r in doc["subscriptions"])
    assert api.call("POST", path, {"virtualAccounts": ["Sales"]})["subscriptions"] == []  # Sales holds nothing


def test_subscription_terms_in_ciscos_license_rows(own: Any) -> None:
    """A term deposited with `ccx-ssm license add … --ends` is its own row of `license-subscriptions`
    (its id and dates) and a TERM entry of the license's `licenseDetails`; terms stay put when
    licenses move."""
    base, folder, _, _, api = own
    from ccxcli.core.catalogue import BY_ALIAS

    name = BY_ALIAS["flex-premium"].name
    ssm(base, "--ssm", str(folder), "license", "add", "flex-premium", "3", "--va", "Sales", "--ends", "2099-06-30")
    subs = api.call("POST", P + f"/v1/accounts/{DOMAIN}/license-subscriptions", {"virtualAccounts": ["Sales"]})
    (row,) = subs["subscriptions"]
    assert (row["license"], row["quantity"], row["subscriptionId"]) == (name, 3, "Sub100001")
    assert row["endDate"] == "2099-06-30" and row["startDate"] is not None and row["status"] == "ACTIVE"
    doc = api.call("POST", P + f"/v1/accounts/{DOMAIN}/licenses", {"virtualAccounts": ["Sales"]})
    (lic,) = [r for r in doc["licenses"] if r["license"] == name]
    assert lic["licenseType"] == "TERM" and lic["quantity"] == 3
    assert [(d["licenseType"], d["quantity"], d["endDate"]) for d in lic["licenseDetails"]] == [
        ("TERM", 3, "2099-06-30")
    ]
    path = P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Sales/licenses/transfer"
    item = {"license": name, "quantity": 1, "targetVirtualAccount": "DEFAULT"}
    before = db(folder)
    assert "perpetual" in api.call("POST", path, {"licenses": [item]}, status=409)["statusMessage"]
    assert db(folder) == before


def test_dlc_convert_turns_a_nodes_classic_licenses_into_smart_ones(own: Any) -> None:
    base, folder, _, _, api = own
    mac = "0a1b2c3d4e5f"
    run = functools.partial(ssm, base, "--ssm", str(folder))
    assert run("pak", "add", "PAKDLC1", "--license", "premium-seat=10").returncode == 0
    assert (
        run(
            "pak",
            "fulfil",
            "PAKDLC1",
            "--license-mac",
            mac,
            "--license",
            "premium-seat=5",
            "--out",
            str(base / "classic.lic"),
        ).returncode
        == 0
    )
    path = P + f"/v1/accounts/{DOMAIN}/virtual-accounts/Sales/dlc_convert"
    before = db(folder)
    api.call("POST", path, {"devices": [{"licenseMac": "0a1b2c3d4e00"}]}, status=409)  # nothing fulfilled to it
    too_many = {"devices": [{"licenseMac": mac, "licenses": [{"license": "premium-seat", "quantity": 6}]}]}
    api.call("POST", path, too_many, status=409)  # more than it holds
    assert db(folder) == before
    doc = api.call(
        "POST", path, {"devices": [{"licenseMac": mac, "licenses": [{"license": "premium-seat", "quantity": 2}]}]}
    )
    item = doc["devices"][0]
    assert doc["status"] == "SUCCESS" and item["licenses"][0]["quantity"] == 2
    assert "LICENSE: premium-seat 3" in item["classicLicenseFile"]  # what remains, in a new classic file
    assert pool(base, folder, "Sales")["premium-seat"]["purchased"] == 2
    doc = api.call("POST", path, {"devices": [{"licenseMac": mac}]})  # the rest: fully converted
    assert doc["devices"][0]["classicLicenseFile"] is None
    assert pool(base, folder, "Sales")["premium-seat"]["purchased"] == 5
