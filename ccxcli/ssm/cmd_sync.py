"""ccx-ssm sync: SSM On-Prem synchronisation (connected: now and daily; disconnected: by files)."""

from __future__ import annotations

import typer

from ccxcli.codetext import read_file
from ccxcli.errors import UsageError
from ccxcli.ssm.app import S, emit, open_ssm, sync_app


@sync_app.callback(invoke_without_command=True)
def sync_now(ctx: typer.Context) -> None:
    """Synchronise this connected SSM On-Prem with Cisco SSM now (subcommands: status, export, import)."""
    if ctx.invoked_subcommand is not None:
        return
    from ccxcli.ssm import sync
    from ccxcli.ssm.app import ssm_folder

    ssm, now = open_ssm()
    ssm.close()
    folder = ssm_folder()
    if folder.parent != S.home / "ssm":
        raise UsageError("'sync' reaches the cloud SSM of the lab: give the on-prem SSM by its name (--ssm NAME).")
    done = sync.run(S.home, folder.name, now)
    emit(done, f"Synchronized with Cisco SSM (request {done['seq']}).")


@sync_app.command("status")
def sync_status() -> None:
    """The on-prem's link, last and next synchronisation; on a cloud SSM, its linked on-prems."""
    from ccxcli.ssm import sync

    ssm, _ = open_ssm()
    if not ssm.on_prem:
        rows = sync.links(ssm)
        emit({"on_prem": rows}, "\n".join(
            f"{r['name']}: {r['mode']}, virtual accounts {', '.join(r['virtual_accounts'])}, "
            f"last synchronisation {r['last_sync'] or 'never'} (request {r['sequence']})" for r in rows
        ) or "No SSM On-Prem is linked to this SSM.")  # fmt: skip
        return
    st = sync.status(ssm)
    emit(st, "\n".join([
        f"Mode: {st['mode']}",
        f"Cisco SSM: {st['cloud']} (smart account '{st['smart_account']}')",
        f"Virtual accounts: {', '.join(st['linked_virtual_accounts'])}",
        f"Last synchronisation: {st['last_sync'] or 'never'}",
        f"Next synchronisation: {st['next_sync'] or ('manual' if st['mode'] == 'disconnected' else '-')}",
        f"Outstanding request: {st['outstanding_request'] or 'none'}",
    ]))  # fmt: skip


@sync_app.command("export")
def sync_export(out: str = typer.Option(..., "--out", help="Write the signed synchronisation request here.")) -> None:
    """On-prem: write a signed synchronisation request for Cisco SSM (disconnected mode)."""
    from ccxcli.ssm import sync

    ssm, now = open_ssm()
    text = sync.make_request(ssm, now)
    _write(out, text)
    emit(
        {"file": out, "request": sync.status(ssm)["outstanding_request"]}, f"Synchronisation request written to {out}."
    )


@sync_app.command("import")
def sync_import(
    file: str = typer.Argument(..., metavar="FILE", help="A request (on Cisco SSM) or an answer (on-prem)."),
    out: str | None = typer.Option(None, "--out", help="Cisco SSM: write the signed answer here."),
) -> None:
    """Cisco SSM: apply an on-prem's request and write the answer; on-prem: apply the answer."""
    from ccxcli.ssm import sync

    ssm, now = open_ssm()
    text = read_file(file, sync.MAX_FILE, "a synchronisation file")
    if ssm.on_prem:
        done = sync.apply_answer(ssm, text, now)
        emit(done, f"Synchronized with Cisco SSM (request {done['seq']}).")
        return
    if not out:
        raise UsageError("Give --out FILE for the answer to carry back to the SSM On-Prem.")
    answer = sync.handle_request(ssm, text, now)
    _write(out, answer)
    emit({"file": out}, f"Synchronisation answer written to {out}; import it on the SSM On-Prem.")


def _write(path: str, text: str) -> None:
    from pathlib import Path

    try:
        Path(path).expanduser().write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"Cannot write {path}: {e.strerror}.") from None
