"""Cisco SSM On-Prem synchronization with the cloud SSM (seed: "synchronizes its database
regularly with Cisco SSM … Connected: automatic … Disconnected: manually").

The model (docs/tutorials/walkthroughs.md: "SSM On-Prem"):
- An on-prem SSM serves local virtual accounts, each linked to the virtual account of the
  same name in the cloud smart account. Licenses are bought and moved on the cloud; product
  instances register with the on-prem (transport gateway / ssm-satellite URLs).
- A synchronization is one signed request (on-prem → cloud: the on-prem's instances and
  their usage) and one signed answer (cloud → on-prem: per linked virtual account and
  license, what the cloud leaves to the on-prem = purchased − reserved on the cloud − used
  by instances registered on the cloud directly). The cloud then lists the on-prem's
  instances as registered through it, their usage in its pools.
- Between synchronizations each side decides from what it has. A deficit that appears at
  a synchronization (licenses moved or reserved on the cloud, on-prem usage grown) shows on
  both sides at once: the cloud's pool counts the on-prem's usage, and the on-prem's pool
  gets the smaller count, so both report Insufficient Licenses and the on-prem's instances
  are judged short at their next report.
- Licenses are reserved (SLR) only on the cloud, as the seed's SLR flow says ("Log in to
  Cisco SSM"): a license is never reserved on both sides, and the invariant holds on both.
- Requests carry a sequence number: the cloud refuses one not newer than the last it
  applied (replayed, out of order); the on-prem applies only the answer to its outstanding
  request. Files are signed by the sender's key and name both SSMs (bound to the pair).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ccxcli.clock import DAY, iso
from ccxcli.core.catalogue import BY_ALIAS
from ccxcli.errors import RuleError, UsageError
from ccxcli.ssm.core import rules
from ccxcli.ssm.core.db import SsmDb
from ccxcli.ssm.core.schema import MAX_PURCHASED

FORMAT = "ccxcli-ssm-sync"
MAX_FILE = 32 * 1024 * 1024
INTERVAL = DAY  # connected on-prem SSMs synchronize daily


# --- the link ------------------------------------------------------------------------------


def link(onprem: SsmDb, cloud: SsmDb, name: str, cloud_name: str, mode: str, vas: list[str], now: int) -> None:
    """Record the link on both sides (at `ccx-ssm init --on-prem`)."""
    if mode not in ("connected", "disconnected"):
        raise UsageError("--mode is connected or disconnected.")
    if cloud.on_prem:
        raise UsageError(f"'{cloud_name}' is an SSM On-Prem; link to a cloud SSM (--cloud NAME).")
    vas = [cloud.va(v) for v in (vas or [cloud.va(None)])]
    with cloud.tx() as db:
        db.execute(
            "INSERT OR REPLACE INTO onprem(name, pubkey, vas, mode, seq, last_sync) VALUES (?, ?, ?, ?, 0, NULL)",
            (name, onprem.public_pem().decode(), json.dumps(vas), mode),
        )
        cloud.event(now, "onprem", f"SSM On-Prem '{name}' linked ({mode}) to virtual accounts {', '.join(vas)}")
    with onprem.tx() as db:
        db.execute("UPDATE va SET name=? WHERE is_default=1", (vas[0],))
        db.execute("UPDATE pool SET va=? WHERE va='DEFAULT'", (vas[0],))
        for va in vas[1:]:
            if not db.execute("SELECT 1 FROM va WHERE name=?", (va,)).fetchone():
                db.execute("INSERT INTO va(name) VALUES (?)", (va,))
                db.executemany("INSERT INTO pool(va, alias) VALUES (?, ?)", [(va, a) for a in BY_ALIAS])
        for key, value in (
            ("cloud", cloud_name),
            ("cloud_pub", cloud.public_pem().decode()),
            ("mode", mode),
            ("linked", json.dumps(vas)),
            ("sync_seq", "0"),
            ("outstanding", ""),
            ("last_sync", ""),
            ("next_sync", str(now) if mode == "connected" else ""),
            ("cloud_account", cloud.account),
        ):
            onprem.set_meta(key, value)
        onprem.event(now, "onprem", f"Linked to '{cloud.account}' ({mode}): {', '.join(vas)}")


def status(ssm: SsmDb) -> dict[str, Any]:
    m = ssm.meta
    if not ssm.on_prem or not m.get("cloud"):
        raise UsageError(
            "This SSM is not an SSM On-Prem linked to a cloud SSM ('ccx-ssm init --on-prem --cloud NAME')."
        )
    return {
        "mode": m["mode"],
        "cloud": m["cloud"],
        "smart_account": m.get("cloud_account", ""),
        "linked_virtual_accounts": json.loads(m["linked"]),
        "last_sync": iso(int(m["last_sync"])) if m.get("last_sync") else None,
        "next_sync": iso(int(m["next_sync"])) if m.get("next_sync") else None,
        "outstanding_request": int(m["outstanding"]) if m.get("outstanding") else None,
        "sequence": int(m["sync_seq"]),
    }


# --- signed files --------------------------------------------------------------------------------


def _sign(ssm: SsmDb, payload: dict[str, Any]) -> str:
    from ccxcli.protocol.codes import sign

    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    doc = {"format": FORMAT, "payload": text, "signature": sign(ssm.private_pem(), text.encode())}
    return json.dumps(doc, sort_keys=True)


def _open(text: str, public_pem: bytes, kind: str) -> dict[str, Any]:
    from ccxcli.protocol.codes import verify_any

    try:
        doc = json.loads(text)
        payload_text = doc["payload"]
        signature = doc["signature"]
        ok = doc.get("format") == FORMAT and isinstance(payload_text, str) and isinstance(signature, str)
    except (ValueError, KeyError, TypeError, RecursionError):
        ok = False
    if not ok:
        raise RuleError(f"This is not a synchronization {kind} file of ccxcli (malformed).")
    if verify_any([public_pem], payload_text.encode(), signature) is None:
        raise RuleError(f"The synchronization {kind} was altered or signed by another SSM; nothing was changed.")
    payload = json.loads(payload_text)
    if not isinstance(payload, dict) or payload.get("kind") != kind:
        raise RuleError(f"This file is not a synchronization {kind}.")
    return payload


# --- the on-prem side ---------------------------------------------------------------------------------


def make_request(onprem: SsmDb, now: int) -> str:
    """A new signed request (its sequence number becomes the outstanding one)."""
    st = status(onprem)
    seq = st["sequence"] + 1
    instances = [
        {
            "uuid": r["uuid"],
            "sn": r["sn"],
            "va": r["va"],
            "hostname": r["hostname"],
            "license_type": r["license_type"],
            "registered": r["registered"],
            "last_contact": r["last_contact"],
            "usage": json.loads(r["usage"]),
        }
        for r in onprem.db.execute("SELECT * FROM instance WHERE kind='smart' ORDER BY id")
    ]
    payload = {"kind": "request", "from": onprem.name, "to": st["cloud"], "seq": seq, "t": now, "instances": instances}
    with onprem.tx():
        onprem.set_meta("sync_seq", str(seq))
        onprem.set_meta("outstanding", str(seq))
    return _sign(onprem, payload)


def apply_answer(onprem: SsmDb, text: str, now: int) -> dict[str, Any]:
    """Apply the cloud's signed answer to the outstanding request."""
    st = status(onprem)
    answer = _open(text, onprem.meta["cloud_pub"].encode(), "answer")
    if answer.get("to") != onprem.name or answer.get("from") != st["cloud"]:
        raise RuleError("This synchronization answer is for another pair of SSMs; nothing was changed.")
    if st["outstanding_request"] is None or answer.get("seq") != st["outstanding_request"]:
        raise RuleError(
            "This synchronization answer is not for the outstanding request (replayed or out of order); "
            "export a new request and import the answer to it."
        )
    vas = answer.get("vas")
    if not isinstance(vas, dict):
        raise RuleError("The synchronization answer is malformed.")
    with onprem.tx() as db:
        for va, counts in vas.items():
            if va not in st["linked_virtual_accounts"] or not isinstance(counts, dict):
                raise RuleError("The synchronization answer names a virtual account that is not linked.")
            for alias, qty in counts.items():
                if alias not in BY_ALIAS or not isinstance(qty, int) or not 0 <= qty <= MAX_PURCHASED:
                    raise RuleError("The synchronization answer has a bad license count.")
                db.execute("UPDATE pool SET purchased=? WHERE va=? AND alias=?", (qty, va, alias))
            onprem.bump(va, now)
        onprem.set_meta("outstanding", "")
        onprem.set_meta("last_sync", str(now))
        if st["mode"] == "connected":
            onprem.set_meta("next_sync", str(now + INTERVAL))
        onprem.event(now, "sync", f"Synchronized with Cisco SSM (request {answer['seq']})")
    return {"seq": answer["seq"], "virtual_accounts": vas}


# --- the cloud side ----------------------------------------------------------------------------------------


def expire(cloud: SsmDb, now: int) -> list[str]:
    """Remove the SSM On-Prems that have not synchronized for 90 days (Cisco: "Satellite expired
    and removed"): their product instances leave the cloud's pools, their link goes, and an event
    says so (the alert for 30 days). Returns their names; a no-op for most calls (one query)."""
    gone = cloud.db.execute(
        "SELECT * FROM onprem WHERE last_sync IS NOT NULL AND last_sync <= ?", (now - rules.SATELLITE_REMOVAL,)
    ).fetchall()
    if not gone:
        return []
    with cloud.tx() as db:
        for r in gone:
            mirrored = db.execute("SELECT * FROM instance WHERE kind='mirror' AND via=?", (r["name"],)).fetchall()
            for inst in mirrored:
                cloud.set_usage(inst, {}, now)
                db.execute("DELETE FROM instance WHERE id=?", (inst["id"],))
            db.execute("DELETE FROM onprem WHERE name=?", (r["name"],))
            cloud.event(
                now,
                "satellite-removed",
                f"SSM On-Prem '{r['name']}' expired and removed after 90 days without synchronization (last "
                f"{iso(r['last_sync'])}): {len(mirrored)} product instances registered through it removed",
                *json.loads(r["vas"]),
            )
    return [r["name"] for r in gone]


def handle_request(cloud: SsmDb, text: str, now: int) -> str:
    """Apply an on-prem's signed request; return the signed answer."""
    try:
        name = json.loads(json.loads(text)["payload"])["from"]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise RuleError("This is not a synchronization request file of ccxcli (malformed).") from None
    if str(name)[:64] in expire(cloud, now):
        raise RuleError(
            f"SSM On-Prem '{str(name)[:40]}' did not synchronize for 90 days: the smart account removed it "
            "(Satellite expired and removed). Link it again ('ccx-ssm init --on-prem … --cloud')."
        )
    row = cloud.db.execute("SELECT * FROM onprem WHERE name=?", (str(name)[:64],)).fetchone()
    if row is None:
        raise RuleError(f"No SSM On-Prem '{str(name)[:40]}' is linked to this smart account.")
    req = _open(text, row["pubkey"].encode(), "request")
    if req.get("to") != cloud.name:
        raise RuleError("This synchronization request is for another SSM; nothing was changed.")
    if not rules.sync_in_order(row["seq"], req.get("seq")):
        raise RuleError(
            f"This synchronization request (number {req.get('seq')}) is not newer than the last one applied "
            f"({row['seq']}): replayed or out of order; nothing was changed."
        )
    linked = json.loads(row["vas"])
    instances = req.get("instances")
    if not isinstance(instances, list):
        raise RuleError("The synchronization request is malformed.")
    with cloud.tx() as db:
        _mirror(cloud, name, linked, instances, now)
        db.execute("UPDATE onprem SET seq=?, last_sync=? WHERE name=?", (req["seq"], now, name))
        answer = {
            "kind": "answer",
            "from": cloud.name,
            "to": name,
            "seq": req["seq"],
            "t": now,
            "vas": {va: left_to_onprem(cloud, va, name) for va in linked},
        }
        cloud.event(now, "sync", f"Synchronized with SSM On-Prem '{name}': {len(instances)} product instances")
    cloud.committed()
    return _sign(cloud, answer)


def _mirror(cloud: SsmDb, onprem: str, linked: list[str], instances: list[Any], now: int) -> None:
    """The on-prem's instances, as the cloud lists them (registered through it)."""
    from ccxcli.ssm.core.smart import check_usage

    seen = set()
    for item in instances:
        if not isinstance(item, dict) or item.get("va") not in linked:
            raise RuleError("The synchronization request has an instance outside the linked virtual accounts.")
        uuid = str(item.get("uuid", ""))[:32]
        use = check_usage(item.get("usage"))
        seen.add(uuid)
        row = cloud.db.execute("SELECT * FROM instance WHERE uuid=?", (uuid,)).fetchone()
        if row is not None and row["kind"] != "mirror":
            continue  # registered on the cloud directly as well: the cloud's own record wins
        if row is None:
            cloud.db.execute(
                "INSERT INTO instance(id, uuid, sn, va, hostname, kind, license_type, registered, last_contact, "
                "via) VALUES (?, ?, ?, ?, ?, 'mirror', ?, ?, ?, ?)",
                (
                    cloud.new_instance_id(),
                    uuid,
                    str(item.get("sn", ""))[:5],
                    item["va"],
                    str(item.get("hostname", ""))[:64],
                    str(item.get("license_type", ""))[:32],
                    now,
                    now,
                    onprem,
                ),
            )
            row = cloud.db.execute("SELECT * FROM instance WHERE uuid=?", (uuid,)).fetchone()
        cloud.set_usage(row, use, now)
        cloud.db.execute("UPDATE instance SET last_contact=? WHERE id=?", (now, row["id"]))
    for row in cloud.db.execute("SELECT * FROM instance WHERE kind='mirror' AND via=?", (onprem,)).fetchall():
        if row["uuid"] not in seen:
            cloud.set_usage(row, {}, now)
            cloud.db.execute("DELETE FROM instance WHERE id=?", (row["id"],))


def left_to_onprem(cloud: SsmDb, va: str, onprem: str) -> dict[str, int]:
    """Per license: purchased − reserved − used by every other instance of the virtual account
    (registered on the cloud directly or through another on-prem)."""
    direct: dict[str, int] = {}
    q = "SELECT usage FROM instance WHERE va=? AND NOT (kind='mirror' AND via=?)"
    for r in cloud.db.execute(q, (va, onprem)):
        for alias, n in json.loads(r["usage"]).items():
            direct[alias] = direct.get(alias, 0) + n
    return {alias: max(0, p["purchased"] - p["reserved"] - direct.get(alias, 0)) for alias, p in cloud.pool(va).items()}


def links(cloud: SsmDb) -> list[dict[str, Any]]:
    return [
        {
            "name": r["name"],
            "mode": r["mode"],
            "virtual_accounts": json.loads(r["vas"]),
            "sequence": r["seq"],
            "last_sync": iso(r["last_sync"]) if r["last_sync"] else None,
        }
        for r in cloud.db.execute("SELECT * FROM onprem ORDER BY name")
    ]


def run(folder: Path, cloud_folder: Callable[[str], Path], now: int) -> dict[str, Any]:
    """A connected on-prem SSM (its folder) synchronizes now with its cloud SSM, found by
    name through `cloud_folder` (the lab's layout is the lab store's to know)."""
    name = folder.name
    onprem = SsmDb.open(folder)
    try:
        st = status(onprem)
        if st["mode"] != "connected":
            raise RuleError(
                f"SSM On-Prem '{name}' is in Disconnected mode: it cannot reach Cisco SSM. Synchronize with files: "
                f"'ccx-ssm --ssm {name} sync export --out req.json', 'ccx-ssm --ssm {st['cloud']} sync import "
                f"req.json --out answer.json', 'ccx-ssm --ssm {name} sync import answer.json'."
            )
        cloud = SsmDb.open(cloud_folder(st["cloud"]))
        try:
            answer = handle_request(cloud, make_request(onprem, now), now)
        finally:
            cloud.close()
        return apply_answer(onprem, answer, now)
    finally:
        onprem.close()


def due(folder: Path) -> int | None:
    """When a connected on-prem SSM synchronizes next (None: not connected)."""
    try:
        ssm = SsmDb.open(folder)
    except Exception:  # noqa: BLE001 - an SSM that cannot open has nothing scheduled
        return None
    try:
        m = ssm.meta
        if not ssm.on_prem or m.get("mode") != "connected" or not m.get("next_sync"):
            return None
        return int(m["next_sync"])
    finally:
        ssm.close()


def reschedule(folder: Path, when: int) -> int:
    """Set when a connected on-prem SSM synchronizes next; return it."""
    ssm = SsmDb.open(folder)
    try:
        with ssm.tx():
            ssm.set_meta("next_sync", str(when))
    finally:
        ssm.close()
    return when


def failed(folder: Path, t: int, message: str) -> None:
    """Log a synchronization that could not be made (it is tried again at the next)."""
    try:
        ssm = SsmDb.open(folder)
    except Exception:  # noqa: BLE001 - an SSM that cannot open cannot log either
        return
    try:
        with ssm.tx():
            ssm.event(t, "sync-failed", f"Synchronization with Cisco SSM failed: {message}")
    finally:
        ssm.close()
