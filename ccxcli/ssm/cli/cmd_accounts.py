"""ccx-ssm init, key, va, license and token commands."""

from __future__ import annotations

from pathlib import Path

from ccxcli.errors import UsageError
from ccxcli.ssm.cli.app import VA, SsmRun, command, emit, is_dir_arg, on_off, open_ssm, ssm_folder, table
from ccxcli.ssm.cli.cmdkit import Option
from ccxcli.ssm.core.db import SsmDb
from ccxcli.store.lab import ssm_dir, ssm_now

# --- init / key ------------------------------------------------------------------------


@command(
    "init",
    "Create an SSM and its signing key (an SSM On-Prem is linked to a cloud SSM of the lab).",
    changes="creates the SSM folder: its database and signing key (refused if one exists).",
    example="ccx-ssm --ssm onprem init --on-prem --hostname ssm-onprem.example.com",
    params=(
        Option("--account", "Smart account name.", default="Demo Smart Account", metavar="NAME"),
        Option(
            "--domain",
            "The smart account's domain, the path key of Cisco's API (default: made from the "
            "account name, e.g. demo-smart-account.example.com).",
            metavar="DOMAIN",
        ),
        Option("--on-prem", "An SSM On-Prem (needs --hostname).", kind="flag", default=False),
        Option(
            "--hostname",
            "Certificate common name: an on-prem's URL host; for a cloud SSM, the name it is "
            "served under ('ccx-ssm serve'; default localhost).",
            metavar="HOST",
        ),
        Option(
            "--san",
            "Subject alternative name of the certificate (a host name or IP address).",
            kind="list",
            metavar="HOST",
        ),
        Option("--demo", "Deposit the demo licenses.", kind="flag", default=False),
        Option(
            "--export-allowed",
            "Permit Export-Controlled functionality (as the demo account is).",
            kind="flag",
            default=False,
        ),
        Option(
            "--mode",
            "On-prem: connected (synchronizes daily) or disconnected (by files).",
            default="connected",
            metavar="connected|disconnected",
        ),
        Option("--cloud", "On-prem: the cloud SSM of the lab it synchronizes with.", default="cloud", metavar="NAME"),
        Option("--va", "On-prem: a cloud virtual account it serves (default: all).", kind="list", metavar="NAME"),
        Option("--standalone", "On-prem: not linked to any cloud SSM.", kind="flag", default=False),
        Option("--address", "Its IP address on the lab's network (default: one made from its name).", metavar="IP"),
        Option(
            "--alias",
            "Another name the lab's network resolves to it, not on its certificate (repeat).",
            kind="list",
            metavar="HOST",
        ),
    ),
)
def init(
    rt: SsmRun,
    account: str,
    domain: str | None,
    on_prem: bool,
    hostname: str | None,
    san: list[str],
    demo: bool,
    export_allowed: bool,
    mode: str,
    cloud: str,
    va: list[str],
    standalone: bool,
    address: str | None,
    alias: list[str],
) -> None:
    import ipaddress
    import json

    from ccxcli.ssm.core.db import SsmDb
    from ccxcli.values import host_name, plain_text

    extra: dict[str, str] = {}
    if address:
        try:
            extra["address"] = str(ipaddress.ip_address(address.strip()))
        except ValueError:
            raise UsageError(f"Invalid --address '{address[:60]}': an IPv4 or IPv6 address.") from None
    if alias:
        extra["aliases"] = json.dumps([host_name(n, "--alias") for n in alias][:20])

    if not on_prem and (va or standalone or mode != "connected" or cloud != "cloud"):
        raise UsageError("--mode, --cloud, --va and --standalone apply to --on-prem SSMs only.")
    if on_prem and not hostname:
        raise UsageError("An on-prem SSM needs --hostname (its certificate common name).")
    plain_text(account, "The smart account name", 128)
    domain = host_name(domain, "--domain") if domain else None
    if domain:
        extra["domain"] = domain
    hostname = host_name(hostname, "--hostname") if hostname else None
    san = [host_name(n, "--san") for n in san]
    folder = ssm_folder(rt)
    if rt.ssm_arg is None or not is_dir_arg(rt.ssm_arg):
        from ccxcli.session.context import open_lab

        with open_lab(rt.home):  # an SSM of the lab: the lab (embedded default) exists first
            pass
    ssm = SsmDb.create(
        folder,
        account=account,
        now=ssm_now(folder),
        demo=demo,
        on_prem=on_prem,
        hostname=hostname,
        sans=tuple(san),
        export_allowed=export_allowed or demo,
        extra_meta=extra or None,
    )
    try:
        data: dict[str, object] = {
            "folder": str(folder),
            "account": account,
            "domain": ssm.domain,
            "on_prem": on_prem,
            "names": ssm.names(),
        }
        names = f", on-prem {', '.join(ssm.names())}" if on_prem else ""
        if on_prem and not standalone:
            data["sync"] = _link(rt, ssm, folder, mode, cloud, va)
    finally:
        ssm.close()
    text = f"SSM created in {folder} (smart account '{account}'{names})."
    if "sync" in data:
        text += (
            f" Linked to '{cloud}' ({mode}); virtual accounts: {', '.join(data['sync']['linked_virtual_accounts'])}."  # type: ignore[index]
        )
    emit(rt, data, text)


def _link(rt: SsmRun, ssm: SsmDb, folder: Path, mode: str, cloud_name: str, vas: list[str]) -> dict[str, object]:
    """Link a new on-prem SSM to a cloud SSM of the lab; a connected one synchronizes at once."""
    from ccxcli.ssm.core import sync
    from ccxcli.ssm.core.db import SsmDb
    from ccxcli.store.lab import valid_name

    if not valid_name(cloud_name) or not (rt.home / "ssm" / cloud_name / "ssm.db").exists():
        raise UsageError(f"No cloud SSM '{cloud_name}' in lab {rt.home} to link to (or add --standalone).")
    if not valid_name(folder.name):
        raise UsageError(f"An SSM On-Prem linked to a cloud SSM needs a lab name (--ssm NAME), not '{folder.name}'.")
    cloud = SsmDb.open(rt.home / "ssm" / cloud_name)
    try:
        now = ssm_now(folder)
        sync.link(ssm, cloud, folder.name, cloud_name, mode, vas, now)
    finally:
        cloud.close()
    if mode == "connected":
        sync.run(folder, lambda name: ssm_dir(rt.home, name), now)
    synced = SsmDb.open(folder)  # as the synchronization left it
    try:
        return sync.status(synced)
    finally:
        synced.close()


@command(
    "key export",
    "Print the SSM's public key (PEM), for nodes outside the lab ('sim ssm trust FILE').",
    changes="nothing.",
    example="ccx-ssm key export > cloud.pem",
)
def key_export(rt: SsmRun) -> None:
    ssm, _ = open_ssm(rt)
    pem = ssm.public_pem().decode()
    if rt.json:
        emit(rt, {"public_key": pem})
    else:
        rt.out.write(pem)


@command(
    "key roll",
    "Change the SSM's signing key, as an SSM whose root changes: nodes must trust the new key.",
    changes="a new signing key: codes, synchronization files and the served certificate are signed with it; the "
    "lab's nodes keep trusting only the old one until 'sim ssm trust' adds the new one ('key export').",
    example="ccx-ssm key roll",
)
def key_roll(rt: SsmRun) -> None:
    ssm, now = open_ssm(rt)
    ssm.roll_key(now)
    emit(
        rt,
        {"rolled": True},
        "Signing key changed. Nodes that do not trust the new key fail to reach this SSM "
        "(certificate not trusted) and refuse its codes: give them 'ccx-ssm key export' for "
        "'sim ssm trust'.",
    )


@command(
    "maintenance",
    "Take the SSM down for maintenance (every request answered 503 Service Unavailable), or back up.",
    changes="on: nodes' messages, the portal and the APIs are refused (HTTP 503 when served); off: served again.",
    example="ccx-ssm maintenance on",
    params=(Option("STATE", "on or off.", required=True),),
)
def maintenance(rt: SsmRun, state: str) -> None:
    on = on_off(state, "STATE")
    ssm, now = open_ssm(rt)
    ssm.set_maintenance(bool(on), now)
    emit(
        rt,
        {"maintenance": on},
        "The SSM is down for maintenance: every request is answered 503."
        if on
        else "The SSM is up: requests are served again.",
    )


# --- virtual accounts ------------------------------------------------------------------------


@command("va list", "List the virtual accounts.", changes="nothing.", example="ccx-ssm va list")
def va_list(rt: SsmRun) -> None:
    ssm, _ = open_ssm(rt)
    rows = ssm.va_list()
    emit(
        rt,
        {"virtual_accounts": rows},
        table=table(
            rt,
            f"Virtual accounts of '{ssm.account}'",
            ["Name", "Default", "Access", "Instances", "Description"],
            [[r["name"], "yes" if r["default"] else "", r["access"], r["instances"], r["description"]] for r in rows],
        ),
    )


VA_NAME = Option("NAME", "The virtual account's name (1-64 printable characters).", required=True)


@command(
    "va create",
    "Create a virtual account.",
    changes="adds an empty virtual account.",
    example="ccx-ssm va create Sales --description 'Sales contact center'",
    params=(
        VA_NAME,
        Option("--description", "Free text shown in 'va list' and Cisco's API.", default="", metavar="TEXT"),
        Option(
            "--access", "Commerce access level (as Cisco's API names it).", default="PUBLIC", metavar="PUBLIC|PRIVATE"
        ),
    ),
)
def va_create(rt: SsmRun, name: str, description: str, access: str) -> None:
    ssm, now = open_ssm(rt)
    ssm.va_create(name, now, description, access.upper())
    emit(rt, {"created": name}, f"Virtual account '{name}' created.")


@command(
    "va delete",
    "Delete an empty virtual account.",
    changes="removes the virtual account (refused while it holds licenses, instances or tokens).",
    example="ccx-ssm va delete Sales",
    params=(VA_NAME,),
)
def va_delete(rt: SsmRun, name: str) -> None:
    ssm, now = open_ssm(rt)
    ssm.va_delete(name, now)
    emit(rt, {"deleted": name}, f"Virtual account '{name}' deleted.")


# --- tokens ------------------------------------------------------------------------------------


@command(
    "token create",
    "Create a product instance registration token (printed alone on stdout).",
    changes="adds a token to the virtual account.",
    example='TOKEN=$(ccx-ssm token create --expires-days 7); ccx license smart register idtoken "$TOKEN"',
    params=(
        VA,
        Option("--expires-days", "Days until the token expires.", kind="int", default=30, lo=1, hi=365, metavar="N"),
        Option(
            "--max-uses",
            "How many registrations it allows (default: unlimited).",
            kind="int",
            lo=1,
            hi=1_000_000,
            metavar="N",
        ),
        Option("--description", "Free text shown in 'token list'.", default="", metavar="TEXT"),
        Option(
            "--export-controlled",
            "Allow Export-Controlled functionality to the nodes it registers.",
            kind="flag",
            default=False,
        ),
    ),
)
def token_create(
    rt: SsmRun, va: str | None, expires_days: int, max_uses: int | None, description: str, export_controlled: bool
) -> None:
    from ccxcli.ssm.core import smart

    ssm, now = open_ssm(rt)
    tok = smart.token_create(ssm, va, now, expires_days, max_uses, description, export_controlled)
    emit(rt, {"token": tok, "va": ssm.va(va)}, tok)


@command(
    "token list",
    "List the registration tokens (whole, as 'token revoke' takes them).",
    changes="nothing.",
    example="ccx-ssm token list",
)
def token_list(rt: SsmRun) -> None:
    from ccxcli.ssm.core import smart

    ssm, now = open_ssm(rt)
    rows = smart.token_list(ssm, now)
    emit(
        rt,
        {"tokens": rows},
        table=table(
            rt,
            "Registration tokens",
            ["Token", "VA", "Expires", "Uses", "State", "Description"],
            [
                [
                    r["token"],
                    r["va"],
                    r["expires"],
                    f"{r['uses']}/{r['max_uses'] or '∞'}",
                    r["state"],
                    r["description"],
                ]
                for r in rows
            ],
        ),
    )


@command(
    "token revoke",
    "Revoke a registration token.",
    changes="the token registers no more nodes (nodes it registered stay registered).",
    example='ccx-ssm token revoke "$TOKEN"',
    params=(Option("TOKEN", "The token, as 'token create' printed it.", required=True),),
)
def token_revoke(rt: SsmRun, token: str) -> None:
    from ccxcli.ssm.core import smart

    ssm, now = open_ssm(rt)
    smart.token_revoke(ssm, token, now)
    emit(rt, {"revoked": True}, "Token revoked.")


# --- the smart account -------------------------------------------------------------------------


@command(
    "account show",
    "The smart account: name, Export-Controlled permission, SLR.",
    changes="nothing.",
    example="ccx-ssm account show",
)
def account_show(rt: SsmRun) -> None:
    ssm, _ = open_ssm(rt)
    data = {
        "account": ssm.account,
        "domain": ssm.domain,
        "export_controlled_allowed": ssm.export_allowed,
        "slr_allowed": ssm.slr_allowed,
        "on_prem": ssm.on_prem,
        "address": ssm.address,
        "certificate_names": ssm.names(),
        "resolves_as": ssm.resolves(),
    }
    emit(
        rt,
        data,
        f"Smart Account: {ssm.account}\n"
        f"Domain: {ssm.domain}\n"
        f"Export-Controlled Functionality: {'Allowed' if ssm.export_allowed else 'Not Allowed'}\n"
        f"Specific License Reservation: {'Allowed' if data['slr_allowed'] else 'Not Allowed'}\n"
        f"Address: {ssm.address}\n"
        f"Certificate names (CN, SAN): {', '.join(ssm.names()) or 'localhost (none given)'}\n"
        f"The lab's network resolves: {', '.join(ssm.resolves())}",
    )


@command(
    "account set",
    "Permit the smart account to use Export-Controlled functionality, or not.",
    changes="the account's permission; tokens created later follow it.",
    example="ccx-ssm account set --export-controlled allowed",
    params=(
        Option(
            "--export-controlled",
            "allowed or not-allowed: whether tokens may allow it.",
            required=True,
            metavar="allowed|not-allowed",
        ),
    ),
)
def account_set(rt: SsmRun, export_controlled: str) -> None:
    if export_controlled not in ("allowed", "not-allowed"):
        raise UsageError("--export-controlled takes allowed or not-allowed.")
    ssm, now = open_ssm(rt)
    with ssm.tx():
        ssm.set_meta("export_allowed", "1" if export_controlled == "allowed" else "0")
        ssm.event(now, "account", f"Export-Controlled functionality {export_controlled.replace('-', ' ')}")
    emit(
        rt,
        {"export_controlled_allowed": export_controlled == "allowed"},
        f"Export-Controlled functionality: {export_controlled}.",
    )
