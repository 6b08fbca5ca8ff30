"""ccx-ssm init, key, va, license and token commands."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ccxcli.errors import UsageError
from ccxcli.ssm.app import (
    S,
    account_app,
    app,
    emit,
    is_dir_arg,
    key_app,
    license_app,
    open_ssm,
    ssm_folder,
    ssm_now,
    table,
    token_app,
    va_app,
)

# --- init / key ------------------------------------------------------------------------


@app.command()
def init(
    account: str = typer.Option("Demo Smart Account", "--account", help="Smart account name."),
    on_prem: bool = typer.Option(False, "--on-prem", help="An SSM On-Prem (needs --hostname)."),
    hostname: str | None = typer.Option(None, "--hostname", help="Certificate common name (on-prem)."),
    san: list[str] = typer.Option([], "--san", help="Subject alternative name (repeatable)."),
    demo: bool = typer.Option(False, "--demo", help="Deposit the demo licenses."),
    export_allowed: bool = typer.Option(
        False, "--export-allowed", help="Permit Export-Controlled functionality (as the demo account is)."
    ),
    mode: str = typer.Option(
        "connected", "--mode", help="On-prem: connected (synchronises daily) or disconnected (by files)."
    ),
    cloud: str = typer.Option("cloud", "--cloud", help="On-prem: the cloud SSM of the lab it synchronises with."),
    va: list[str] = typer.Option([], "--va", help="On-prem: a cloud virtual account it serves (repeatable)."),
    standalone: bool = typer.Option(False, "--standalone", help="On-prem: not linked to any cloud SSM."),
) -> None:
    """Create an SSM folder and its signing key (an SSM On-Prem is linked to a cloud SSM of the lab)."""
    from ccxcli.ssm.db import Ssm
    from ccxcli.values import host_name, plain_text

    if not on_prem and (va or standalone or mode != "connected" or cloud != "cloud"):
        raise UsageError("--mode, --cloud, --va and --standalone apply to --on-prem SSMs only.")
    if on_prem and not hostname:
        raise UsageError("An on-prem SSM needs --hostname (its certificate common name).")
    if not on_prem and (hostname or san):
        raise UsageError("--hostname and --san apply to --on-prem SSMs only.")
    plain_text(account, "The smart account name", 128)
    hostname = host_name(hostname, "--hostname") if hostname else None
    san = [host_name(n, "--san") for n in san]
    folder = ssm_folder()
    if S.ssm_arg is None or not is_dir_arg(S.ssm_arg):
        from ccxcli.lab import Lab

        with Lab(S.home):  # an SSM of the lab: the lab (embedded default) exists first
            pass
    ssm = Ssm.create(
        folder,
        account=account,
        now=ssm_now(folder),
        demo=demo,
        on_prem=on_prem,
        hostname=hostname,
        sans=tuple(san),
        export_allowed=export_allowed or demo,
    )
    data: dict[str, object] = {"folder": str(folder), "account": account, "on_prem": on_prem, "names": ssm.names()}
    names = f", on-prem {', '.join(ssm.names())}" if on_prem else ""
    text = f"SSM created in {folder} (smart account '{account}'{names})."
    if on_prem and not standalone:
        data["sync"] = _link(ssm, folder, mode, cloud, va)
        text += (
            f" Linked to '{cloud}' ({mode}); virtual accounts: {', '.join(data['sync']['linked_virtual_accounts'])}."  # type: ignore[index]
        )
    emit(data, text)


def _link(ssm: object, folder: Path, mode: str, cloud_name: str, vas: list[str]) -> dict[str, object]:
    """Link a new on-prem SSM to a cloud SSM of the lab; a connected one synchronises at once."""
    from ccxcli.lab import valid_name
    from ccxcli.ssm import sync
    from ccxcli.ssm.db import Ssm

    if not valid_name(cloud_name) or not (S.home / "ssm" / cloud_name / "ssm.db").exists():
        raise UsageError(f"No cloud SSM '{cloud_name}' in lab {S.home} to link to (or add --standalone).")
    if not valid_name(folder.name):
        raise UsageError(f"An SSM On-Prem linked to a cloud SSM needs a lab name (--ssm NAME), not '{folder.name}'.")
    cloud = Ssm.open(S.home / "ssm" / cloud_name)
    try:
        now = ssm_now(folder)
        sync.link(ssm, cloud, folder.name, cloud_name, mode, vas, now)  # type: ignore[arg-type]
    finally:
        cloud.close()
    if mode == "connected":
        sync.run(S.home, folder.name, now)
    return sync.status(Ssm.open(folder))


@key_app.command("export")
def key_export() -> None:
    """Print the SSM's public key (PEM), for nodes outside the lab ('sim ssm trust FILE')."""
    ssm, _ = open_ssm()
    pem = ssm.public_pem().decode()
    if S.json:
        emit({"public_key": pem})
    else:
        sys.stdout.write(pem)


# --- virtual accounts ------------------------------------------------------------------------


@va_app.command("list")
def va_list() -> None:
    """List the virtual accounts."""
    ssm, _ = open_ssm()
    rows = ssm.va_list()
    emit(
        {"virtual_accounts": rows},
        table=table(
            f"Virtual accounts of '{ssm.account}'",
            ["Name", "Default", "Instances"],
            [[r["name"], "yes" if r["default"] else "", r["instances"]] for r in rows],
        ),
    )


@va_app.command("create")
def va_create(name: str) -> None:
    """Create a virtual account."""
    ssm, now = open_ssm()
    ssm.va_create(name, now)
    emit({"created": name}, f"Virtual account '{name}' created.")


@va_app.command("delete")
def va_delete(name: str) -> None:
    """Delete an empty virtual account."""
    ssm, now = open_ssm()
    ssm.va_delete(name, now)
    emit({"deleted": name}, f"Virtual account '{name}' deleted.")


# --- licenses ----------------------------------------------------------------------------------


def license_alias(alias: str) -> str:
    from ccxcli.core.catalogue import lookup

    try:
        return lookup(alias).alias
    except KeyError as e:
        raise UsageError(str(e.args[0])) from None


@license_app.command("list")
def license_list(
    va: str | None = typer.Option(None, "--va", help="Virtual account (default: the default one)."),
) -> None:
    """Purchased, in use, reserved, available and balance per license."""
    ssm, _ = open_ssm()
    name = ssm.va(va)
    rows = ssm.license_rows(name)
    cols = ["License", "Purchased", "In Use", "Reserved", "Available", "Balance"]
    emit(
        {"va": name, "licenses": rows},
        table=table(
            f"Licenses of '{name}'",
            cols,
            [
                [
                    r["alias"],
                    r["purchased"],
                    r["in_use"],
                    r["reserved"],
                    r["available"],
                    f"{r['balance']:+d}" if r["balance"] else "0",
                ]
                for r in rows
            ],
        ),
    )


@license_app.command("add")
def license_add(
    alias: str,
    qty: int,
    va: str | None = typer.Option(None, "--va", help="Virtual account (default: the default one)."),
) -> None:
    """Deposit purchased licenses."""
    ssm, now = open_ssm()
    a = license_alias(alias)
    ssm.license_add(va, a, qty, now)
    emit({"va": ssm.va(va), "alias": a, "added": qty}, f"{qty} {a} deposited in '{ssm.va(va)}'.")


@license_app.command("transfer")
def license_transfer(
    alias: str,
    qty: int,
    src: str = typer.Option(..., "--from", help="Source virtual account."),
    dst: str = typer.Option(..., "--to", help="Destination virtual account."),
) -> None:
    """Move available licenses between virtual accounts."""
    ssm, now = open_ssm()
    a = license_alias(alias)
    ssm.license_transfer(src, dst, a, qty, now)
    emit({"alias": a, "qty": qty, "from": ssm.va(src), "to": ssm.va(dst)}, f"{qty} {a} transferred.")


# --- tokens ------------------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    va: str | None = typer.Option(None, "--va", help="Virtual account (default: the default one)."),
    expires_days: int = typer.Option(30, "--expires-days", help="Days until the token expires (1-365)."),
    max_uses: int | None = typer.Option(None, "--max-uses", help="How many registrations it allows."),
    description: str = typer.Option("", "--description", help="Free text."),
    export_controlled: bool = typer.Option(False, "--export-controlled", help="Allow export-controlled functionality."),
) -> None:
    """Create a product instance registration token (printed alone on stdout)."""
    from ccxcli.ssm import smart

    ssm, now = open_ssm()
    tok = smart.token_create(ssm, va, now, expires_days, max_uses, description, export_controlled)
    emit({"token": tok, "va": ssm.va(va)}, tok)


@token_app.command("list")
def token_list() -> None:
    """List the registration tokens."""
    from ccxcli.ssm import smart

    ssm, now = open_ssm()
    rows = smart.token_list(ssm, now)
    emit(
        {"tokens": rows},
        table=table(
            "Registration tokens",
            ["Token", "VA", "Expires", "Uses", "State", "Description"],
            [
                [
                    r["token"][:16] + "…",
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


@token_app.command("revoke")
def token_revoke(token: str) -> None:
    """Revoke a registration token."""
    from ccxcli.ssm import smart

    ssm, now = open_ssm()
    smart.token_revoke(ssm, token, now)
    emit({"revoked": True}, "Token revoked.")


# --- the smart account -------------------------------------------------------------------------


@account_app.command("show")
def account_show() -> None:
    """The smart account: name, Export-Controlled permission, SLR."""
    ssm, _ = open_ssm()
    data = {
        "account": ssm.account,
        "export_controlled_allowed": ssm.export_allowed,
        "slr_allowed": ssm.meta.get("slr_allowed") == "1",
        "on_prem": ssm.on_prem,
    }
    emit(
        data,
        f"Smart Account: {ssm.account}\n"
        f"Export-Controlled Functionality: {'Allowed' if ssm.export_allowed else 'Not Allowed'}\n"
        f"Specific License Reservation: {'Allowed' if data['slr_allowed'] else 'Not Allowed'}",
    )


@account_app.command("set")
def account_set(
    export_controlled: str = typer.Option(
        ..., "--export-controlled", help="allowed or not-allowed: whether tokens may allow it."
    ),
) -> None:
    """Permit the smart account to use Export-Controlled functionality, or not."""
    if export_controlled not in ("allowed", "not-allowed"):
        raise UsageError("--export-controlled takes allowed or not-allowed.")
    ssm, now = open_ssm()
    with ssm.tx():
        ssm.set_meta("export_allowed", "1" if export_controlled == "allowed" else "0")
        ssm.event(now, "account", f"Export-Controlled functionality {export_controlled.replace('-', ' ')}")
    emit(
        {"export_controlled_allowed": export_controlled == "allowed"},
        f"Export-Controlled functionality: {export_controlled}.",
    )
