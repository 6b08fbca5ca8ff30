"""The rest of the seed (issue 12): steady reports, injected failures and their alerts,
export-controlled permission, SSM schema migrations, SSM On-Prem synchronisation, and the
Classic-to-Smart migration."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Lab

from ccxcli.clock import iso


def instance(lab: Lab) -> dict[str, Any]:
    return lab.ssm_ok("--json", "instance", "list").json["instances"][0]  # type: ignore[no-any-return]


def alert_keys(lab: Lab, node: str | None = None) -> set[str]:
    return {a["key"] for a in lab.status(node)["alerts"]}


# --- steady usage reaches the SSM every 15 minutes -------------------------------------------------


def test_steady_usage_reaches_the_ssm_every_interval(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "3")
    start = lab.ok("--json", "sim", "clock", "show").json["epoch"]
    r = lab.ok("--json", "sim", "clock", "advance", "40d")
    assert r.json["events_processed"] <= 3  # still event driven: no step per interval
    last_boundary = (start + 40 * 86400) // 900 * 900
    assert instance(lab)["last_contact"] == iso(last_boundary)
    alerts = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert not any(a["type"] in ("Failed to Renew", "Failed to Connect") for a in alerts)
    shown = lab.ssm_ok("--json", "instance", "show", "1").json["usage_history"]
    assert shown[-1]["to"] == iso(last_boundary) and shown[-1]["usage"]["flex-standard"] == 3
    lab.ok("sim", "network", "down")
    lab.ok("sim", "clock", "advance", "31d")
    alerts = lab.ssm_ok("--json", "alerts").json["alerts"]
    assert any(a["type"] == "Failed to Renew" for a in alerts)  # the reports stopped with the network


# --- injected failures ------------------------------------------------------------------------------


def test_license_computation_fault_raises_and_clears_its_alert(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "2")
    lab.ok("sim", "clock", "advance", "15m")
    lab.ok("sim", "fault", "license-computation", "on")
    assert "computation" not in alert_keys(lab)  # raised at the next computation, not before
    lab.ok("sim", "agent", "login", "--count", "5")
    lab.ok("sim", "clock", "advance", "1h")
    assert "computation" in alert_keys(lab)
    assert instance(lab)["usage"]["flex-standard"] == 2  # nothing was reported meanwhile
    events = [e["message"] for e in lab.ok("--json", "appadmin", "events").json["events"]]
    assert any("License Computation failure" in m for m in events)
    lab.ok("sim", "fault", "license-computation", "off")
    lab.ok("sim", "clock", "advance", "15m")
    assert "computation" not in alert_keys(lab)
    assert instance(lab)["usage"]["flex-standard"] == 7


def test_agent_init_fault_refuses_initializations_and_clears(lab: Lab) -> None:
    lab.ok("sim", "fault", "agent-init", "on")
    r = lab.ccx("license", "smart", "transport", "direct")
    assert r.code == 1 and "Smart Agent could not initialize" in r.err
    assert "agent-init" in alert_keys(lab)
    tok = lab.ssm_ok("token", "create").out.strip()
    assert lab.ccx("license", "smart", "register", "idtoken", tok).code == 1
    assert lab.status()["registration"]["status"] == "UNREGISTERED"
    lab.ok("sim", "fault", "agent-init", "off")
    assert "agent-init" in alert_keys(lab)  # cleared by the next successful initialization
    lab.ok("license", "smart", "register", "idtoken", tok)
    assert "agent-init" not in alert_keys(lab)


def test_ssm_error_and_slow_faults_fail_exchanges_with_the_seed_alerts(lab: Lab) -> None:
    lab.register()
    lab.ok("sim", "agent", "login", "--count", "2")
    for fault, words in (("ssm-error", "answered with an error"), ("ssm-slow", "no answer in time")):
        lab.ok("sim", "fault", fault, "on")
        r = lab.ccx("license", "smart", "renew", "auth")
        assert r.code == 4 and words in r.err
        lab.ok("sim", "clock", "advance", "30m")
        assert {"renew-auth", "reporting"} <= alert_keys(lab)
        lab.ok("sim", "fault", fault, "off")
        lab.ok("sim", "clock", "advance", "15m")
        assert "reporting" not in alert_keys(lab)  # the report is tried again once the SSM answers
        lab.ok("license", "smart", "renew", "auth")
        assert "renew-auth" not in alert_keys(lab)
    assert [f["on"] for f in lab.ok("--json", "sim", "fault", "list").json["faults"]] == [False] * 5  # clock-skew too


# --- export-controlled functionality per account -----------------------------------------------------


def test_export_controlled_tokens_only_for_permitted_accounts(lab: Lab, tmp_path: Any) -> None:
    lab.ok("show", "license", "UDI")
    lab.ssm_ok("token", "create", "--export-controlled")  # the demo account is permitted
    other = ["--ssm", str(tmp_path / "other")]
    lab.ssm_ok(*other, "init", "--account", "Restricted")
    lab.refused([*other, "token", "create", "--export-controlled"], "not permitted", ssm=True)
    lab.ssm_ok(*other, "token", "create")
    assert lab.ssm_ok(*other, "--json", "account", "show").json["export_controlled_allowed"] is False
    lab.ssm_ok(*other, "account", "set", "--export-controlled", "allowed")
    lab.ssm_ok(*other, "token", "create", "--export-controlled")


# --- SSM On-Prem synchronisation ---------------------------------------------------------------------

GATEWAY = "https://ssm.site.lab/Transportgateway/services/DeviceRequestHandler"


def onprem_pool(lab: Lab, name: str = "site") -> dict[str, Any]:
    rows = lab.ssm_ok("--ssm", name, "--json", "license", "list").json["licenses"]
    return {r["alias"]: r for r in rows}


def register_onprem(lab: Lab, node: str, name: str = "site") -> None:
    tok = lab.ssm_ok("--ssm", name, "token", "create").out.strip()
    lab.ok("--node", node, "license", "smart", "transport", "gateway", GATEWAY)
    lab.ok("--node", node, "license", "smart", "register", "idtoken", tok)


def test_connected_on_prem_synchronises_now_and_daily(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    lab.ssm_ok("--ssm", "site", "init", "--on-prem", "--hostname", "ssm.site.lab")
    assert onprem_pool(lab)["flex-standard"]["purchased"] == 40  # what the cloud has, at the link
    register_onprem(lab, "uccx")
    lab.ok("sim", "agent", "login", "--count", "12")
    lab.ok("sim", "clock", "advance", "15m")
    assert onprem_pool(lab)["flex-standard"]["in_use"] == 12
    cloud = {r["uuid"]: r for r in lab.ssm_ok("--json", "instance", "list").json["instances"]}
    assert not cloud  # not synchronised yet
    lab.ssm_ok("license", "add", "flex-standard", "5")  # bought on the cloud
    lab.ok("sim", "clock", "advance", "1d")  # the daily synchronisation
    (mirror,) = lab.ssm_ok("--json", "instance", "list").json["instances"]
    assert mirror["via"] == "site" and mirror["usage"]["flex-standard"] == 12
    header, row = lab.ssm_ok("instance", "list").out.splitlines()[1::2]  # the table says it too (README)
    assert header.split()[5] == "Via" and row.split()[5] == "site"
    assert lab.pool()["flex-standard"]["in_use"] == 12
    assert onprem_pool(lab)["flex-standard"]["purchased"] == 45
    st = lab.ssm_ok("--ssm", "site", "--json", "sync", "status").json
    assert st["mode"] == "connected" and st["next_sync"] > st["last_sync"]
    lab.refused(["instance", "remove", mirror["sn"]], "registered through SSM On-Prem", ssm=True)
    lab.refused(["--ssm", "site", "license", "add", "flex-standard", "1"], "bought, moved and reserved", ssm=True)


def test_a_deficit_at_synchronisation_shows_on_both_sides(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    lab.ssm_ok("--ssm", "site", "init", "--on-prem", "--hostname", "ssm.site.lab")
    register_onprem(lab, "uccx")
    lab.ok("sim", "agent", "login", "--count", "30")
    lab.ok("sim", "clock", "advance", "15m")
    lab.ssm_ok("va", "create", "OTHER")
    lab.ssm_ok("license", "transfer", "flex-standard", "25", "--from", "DEFAULT", "--to", "OTHER")
    lab.ssm_ok("--ssm", "site", "sync")
    assert lab.pool()["flex-standard"]["balance"] < 0  # the cloud counts the on-prem's usage
    assert onprem_pool(lab)["flex-standard"]["purchased"] == 15
    lab.ok("sim", "clock", "advance", "15m")
    assert lab.status()["compliance"]["consecutive_overage_reports"] >= 1  # judged short on the on-prem
    cloud_alerts = {a["type"] for a in lab.ssm_ok("--json", "alerts").json["alerts"]}
    site_alerts = {a["type"] for a in lab.ssm_ok("--ssm", "site", "--json", "alerts").json["alerts"]}
    assert "Insufficient Licenses" in cloud_alerts and "Insufficient Licenses" in site_alerts


def test_disconnected_on_prem_synchronises_by_signed_files(lab: Lab, tmp_path: Any) -> None:
    lab.ok("show", "license", "UDI")
    lab.ssm_ok("--ssm", "dark", "init", "--on-prem", "--hostname", "ssm.site.lab", "--mode", "disconnected")
    assert onprem_pool(lab, "dark")["flex-standard"]["purchased"] == 0
    lab.refused(["--ssm", "dark", "sync"], "Disconnected mode", ssm=True)
    req, ans = str(tmp_path / "req.json"), str(tmp_path / "ans.json")
    lab.ssm_ok("--ssm", "dark", "sync", "export", "--out", req)
    lab.ssm_ok("sync", "import", req, "--out", ans)
    lab.refused(["sync", "import", req, "--out", str(tmp_path / "again.json")], "replayed", ssm=True)
    text = (tmp_path / "ans.json").read_text()
    (tmp_path / "bad.json").write_text(text.replace('\\"flex-standard\\":40', '\\"flex-standard\\":400'))
    lab.refused(["--ssm", "dark", "sync", "import", str(tmp_path / "bad.json")], "altered", ssm=True)
    lab.ssm_ok("--ssm", "dark", "sync", "import", ans)
    assert onprem_pool(lab, "dark")["flex-standard"]["purchased"] == 40
    lab.refused(["--ssm", "dark", "sync", "import", ans], "not for the outstanding request", ssm=True)
    # an older request after a newer one is refused by the cloud
    old = str(tmp_path / "old.json")
    lab.ssm_ok("--ssm", "dark", "sync", "export", "--out", old)
    lab.ssm_ok("--ssm", "dark", "sync", "export", "--out", req)
    lab.ssm_ok("sync", "import", req, "--out", ans)
    lab.refused(["sync", "import", old, "--out", str(tmp_path / "x.json")], "out of order", ssm=True)
    lab.ssm_ok("--ssm", "dark", "sync", "import", ans)


def test_on_prem_and_cloud_keep_the_pool_invariant(lab: Lab) -> None:
    lab.ok("show", "license", "UDI")
    lab.ssm_ok("--ssm", "site", "init", "--on-prem", "--hostname", "ssm.site.lab")
    lab.ok("sim", "node", "create", "b")
    register_onprem(lab, "uccx")
    lab.ok("--node", "b", "license", "smart", "reservation", "enable")
    req = lab.ok("--node", "b", "--json", "license", "smart", "reservation", "request").json["request_code"]
    lab.refused(
        ["--ssm", "site", "reservation", "authorize", "--request", req, "--license", "flex-standard=5"],
        "reserved on Cisco SSM",
        ssm=True,
    )
    lab.ssm_ok("reservation", "authorize", "--request", req, "--license", "flex-standard=20")
    lab.ok("sim", "agent", "login", "--count", "35")
    lab.ok("sim", "clock", "advance", "1d1h")
    for pool in (lab.pool(), onprem_pool(lab)):
        for r in pool.values():
            assert r["purchased"] == r["available"] + r["in_use"] + r["reserved"], r
            assert min(r["purchased"], r["available"], r["in_use"], r["reserved"]) >= 0, r
    assert onprem_pool(lab)["flex-standard"]["purchased"] == 20  # 40 bought, 20 reserved on the cloud


# --- Classic to Smart Licensing -----------------------------------------------------------------------


def test_pak_fulfilment_classic_install_and_pak_migration(lab: Lab, tmp_path: Any) -> None:
    lab.ok("sim", "node", "create", "old", "--classic", "--type", "perpetual-premium")
    mac = lab.ok("--node", "old", "--json", "appadmin", "license", "classic", "show").json["license_mac"]
    lab.ssm_ok("pak", "add", "PAK1234567", "--license", "premium-seat=30", "--license", "outbound-port=10")
    lic = str(tmp_path / "classic.lic")
    lab.ssm_ok("pak", "fulfil", "PAK1234567", "--license-mac", mac, "--license", "premium-seat=20", "--out", lic)
    lab.ok("--node", "old", "appadmin", "license", "classic", "install", lic)
    assert lab.ok("--node", "old", "--json", "appadmin", "license", "classic", "show").json["licenses"] == {
        "premium-seat": 20
    }
    lab.ok("--node", "old", "sim", "agent", "login", "--count", "20")
    lab.refused(["--node", "old", "sim", "agent", "login", "--count", "1"], "Classic licenses")
    (tmp_path / "bad.lic").write_text(
        (tmp_path / "classic.lic").read_text().replace("premium-seat 20", "premium-seat 99")
    )
    lab.refused(["--node", "old", "appadmin", "license", "classic", "install", str(tmp_path / "bad.lic")], "altered")
    lab.refused(["--node", "uccx", "appadmin", "license", "classic", "install", lic], "Smart Licensing")
    before = lab.pool()["premium-seat"]["purchased"]
    lab.ssm_ok("pak", "assign", "PAK1234567")
    assert lab.pool()["premium-seat"]["purchased"] == before + 10  # the unfulfilled part
    assert lab.pool()["outbound-port"]["purchased"] >= 10
    (row,) = [r for r in lab.ssm_ok("--json", "pak", "list").json["paks"] if r["pak"] == "PAK1234567"]
    assert row["smart_account"] == "Demo Smart Account" and row["virtual_account"] == "DEFAULT"


def test_device_based_conversion_partial_and_full(lab: Lab, tmp_path: Any) -> None:
    lab.ok("sim", "node", "create", "old", "--classic", "--type", "perpetual-premium")
    mac = lab.ok("--node", "old", "--json", "appadmin", "license", "classic", "show").json["license_mac"]
    lab.ssm_ok("pak", "add", "PAKDBC0001", "--license", "premium-seat=30")
    lic = str(tmp_path / "c.lic")
    lab.ssm_ok("pak", "fulfil", "PAKDBC0001", "--license-mac", mac, "--license", "premium-seat=30", "--out", lic)
    lab.ok("--node", "old", "appadmin", "license", "classic", "install", lic)
    before = lab.pool()["premium-seat"]["purchased"]
    rest = str(tmp_path / "rest.lic")
    out = lab.ssm_ok("dbc", "convert", "--license-mac", mac, "--license", "premium-seat=10", "--out", rest).out
    assert "remain" in out and lab.pool()["premium-seat"]["purchased"] == before + 10
    lab.ok("--node", "old", "appadmin", "license", "classic", "install", rest)  # the new file for what remains
    assert lab.ok("--node", "old", "--json", "appadmin", "license", "classic", "show").json["licenses"] == {
        "premium-seat": 20
    }
    assert "fully converted" in lab.ssm_ok("dbc", "convert", "--license-mac", mac).out
    lab.refused(["dbc", "convert", "--license-mac", mac], "No classic licenses", ssm=True)
    lab.ok("--node", "old", "--yes", "appadmin", "license", "migrate", "smart")
    assert lab.status("old")["smart_licensing"] == "ENABLED"


def test_migration_needs_12_5_and_warns_about_wfo(lab: Lab) -> None:
    lab.ok("sim", "node", "create", "ten", "--classic", "--version", "10.6.1.10000-20")
    r = lab.refused(["--node", "ten", "--yes", "appadmin", "license", "migrate", "smart"], "11.6, then to 12.5")
    lab.ok("sim", "node", "create", "eleven", "--classic", "--version", "11.6.2.10000-41")
    r = lab.refused(["--node", "eleven", "--yes", "appadmin", "license", "migrate", "smart"], "upgrade to 12.5(1)")
    assert "11.6" in r.err
    lab.ok("sim", "node", "create", "wfo", "--classic", "--wfo")
    r = lab.ccx("--node", "wfo", "appadmin", "license", "migrate", "smart", stdin="n\n")
    assert r.code == 2  # no terminal: --yes needed
    out = lab.ccx("--node", "wfo", "run", "-", stdin="appadmin license migrate smart\nn\n")
    assert "WFO does not support Smart Licensing" in out.out and "Cancelled" in out.err
    assert lab.status("wfo")["smart_licensing"] == "DISABLED"


# --- the SSM database of an earlier version opens -------------------------------------------------------


def test_an_ssm_database_of_schema_1_is_migrated(tmp_path: Any) -> None:
    import sqlite3

    from ccxcli.ssm.core.db import SCHEMA, SsmDb

    folder = tmp_path / "v1"
    folder.mkdir()
    db = sqlite3.connect(folder / "ssm.db")
    db.executescript(V1_DDL)
    meta = {
        "schema": "1",
        "account": "Old",
        "on_prem": "0",
        "cn": "",
        "sans": "[]",
        "created": "0",
        "slr_allowed": "1",
        "export_allowed": "0",
    }
    db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    db.execute("INSERT INTO va(name, is_default) VALUES ('DEFAULT', 1)")
    db.execute("INSERT INTO pool(va, alias, purchased) VALUES ('DEFAULT', 'flex-standard', 40)")
    db.execute("INSERT INTO event(t, kind, text) VALUES (0, 'init', 'Smart account created')")
    db.commit()
    db.close()
    from ccxcli.protocol.codes import new_signing_key
    from ccxcli.ssm.core import chart, smart, users

    priv, pub = new_signing_key()
    (folder / "key.pem").write_bytes(priv)
    (folder / "public.pem").write_bytes(pub)
    ssm = SsmDb.open(folder)
    try:
        assert ssm.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA  # SQLite's own field from now on
        assert "schema" not in ssm.meta and ssm.export_allowed  # behaved as permitted before
        assert ssm.license_rows("DEFAULT")[0]["purchased"] == 40
        assert ssm.db.execute("SELECT COUNT(*) FROM usage_history").fetchone()[0] == 0
        assert chart.changes(ssm, "DEFAULT", "flex-standard", 10**10) == [(0, 40, 0, 0, 0)]  # the chart starts here
        assert smart.events(ssm)[0]["virtual_accounts"] == []  # an old event concerns the account as a whole
        assert smart.events(ssm, va="DEFAULT") == [] and users.listing(ssm) == []
    finally:
        ssm.close()


V1_DDL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE va(name TEXT PRIMARY KEY, is_default INTEGER NOT NULL DEFAULT 0,
                version INTEGER NOT NULL DEFAULT 0, short INTEGER NOT NULL DEFAULT 0);
CREATE TABLE pool(va TEXT NOT NULL, alias TEXT NOT NULL, purchased INTEGER NOT NULL DEFAULT 0,
                  used INTEGER NOT NULL DEFAULT 0, reserved INTEGER NOT NULL DEFAULT 0,
                  PRIMARY KEY(va, alias),
                  CHECK(purchased >= 0 AND used >= 0 AND reserved >= 0 AND reserved <= purchased));
CREATE TABLE token(token TEXT PRIMARY KEY, va TEXT NOT NULL, created INTEGER NOT NULL,
                   expires INTEGER NOT NULL, max_uses INTEGER, uses INTEGER NOT NULL DEFAULT 0,
                   revoked INTEGER NOT NULL DEFAULT 0, description TEXT NOT NULL DEFAULT '',
                   export INTEGER NOT NULL DEFAULT 0);
CREATE TABLE instance(id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, sn TEXT NOT NULL,
                      va TEXT NOT NULL, hostname TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL,
                      license_type TEXT NOT NULL DEFAULT '', registered INTEGER NOT NULL,
                      last_contact INTEGER NOT NULL, usage TEXT NOT NULL DEFAULT '{}',
                      export INTEGER NOT NULL DEFAULT 0);
CREATE TABLE reservation(id INTEGER PRIMARY KEY, instance INTEGER, uuid TEXT NOT NULL,
                         sn TEXT NOT NULL, va TEXT NOT NULL, piid TEXT NOT NULL UNIQUE,
                         pubkey TEXT NOT NULL, state TEXT NOT NULL, counts TEXT NOT NULL,
                         previous TEXT, conf TEXT, issued INTEGER NOT NULL, ts INTEGER NOT NULL,
                         returned INTEGER);
CREATE TABLE event(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
"""


def test_the_schema_is_sqlites_user_version_and_migrations_read_as_sqlite_does(tmp_path: Any) -> None:
    """A new SSM database states its schema in `PRAGMA user_version` (none in its meta table);
    a migration is cut into statements where SQLite ends them, not at every `;`."""
    import sqlite3

    from ccxcli.ssm.core.db import SCHEMA, SsmDb
    from ccxcli.ssm.core.schema import statements

    SsmDb.create(tmp_path / "new", account="New", demo=False, now=0).close()
    db = sqlite3.connect(tmp_path / "new" / "ssm.db")
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA
        assert db.execute("SELECT COUNT(*) FROM meta WHERE key='schema'").fetchone()[0] == 0
    finally:
        db.close()
    script = "UPDATE meta SET value='a;b' WHERE key='x';\nDELETE FROM meta WHERE value=';';"
    assert statements(script) == ["UPDATE meta SET value='a;b' WHERE key='x';", "DELETE FROM meta WHERE value=';';"]
    with pytest.raises(ValueError):
        statements("UPDATE meta SET value='unterminated;")
