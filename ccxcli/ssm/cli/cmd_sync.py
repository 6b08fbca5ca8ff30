"""ccx-ssm sync: SSM On-Prem synchronization (connected: now and daily; disconnected: by files)."""

from __future__ import annotations

from ccxcli.codetext import read_file
from ccxcli.errors import UsageError
from ccxcli.ssm.cli.app import SsmRun, command, emit, open_ssm
from ccxcli.ssm.cli.cmdkit import Option
from ccxcli.store.lab import ssm_dir


@command(
    "sync",
    "Synchronize this connected SSM On-Prem with Cisco SSM now.",
    changes="usage goes up to the cloud SSM, licenses and tokens come down; both databases change.",
    example="ccx-ssm --ssm onprem sync",
)
def sync_now(rt: SsmRun) -> None:
    from ccxcli.ssm.cli.app import ssm_folder
    from ccxcli.ssm.core import sync

    ssm, now = open_ssm(rt)
    ssm.close()
    folder = ssm_folder(rt)
    if folder.parent != rt.home / "ssm":
        raise UsageError("'sync' reaches the cloud SSM of the lab: give the on-prem SSM by its name (--ssm NAME).")
    done = sync.run(folder, lambda name: ssm_dir(rt.home, name), now)
    emit(rt, done, f"Synchronized with Cisco SSM (request {done['seq']}).")


@command(
    "sync status",
    "The on-prem's link, last and next synchronization; on a cloud SSM, its linked on-prems.",
    changes="nothing.",
    example="ccx-ssm --ssm onprem sync status",
)
def sync_status(rt: SsmRun) -> None:
    from ccxcli.ssm.core import sync

    ssm, _ = open_ssm(rt)
    if not ssm.on_prem:
        rows = sync.links(ssm)
        emit(
            rt,
            {"on_prem": rows},
            "\n".join(
                f"{r['name']}: {r['mode']}, virtual accounts {', '.join(r['virtual_accounts'])}, "
                f"last synchronization {r['last_sync'] or 'never'} (request {r['sequence']})"
                for r in rows
            )
            or "No SSM On-Prem is linked to this SSM.",
        )
        return
    st = sync.status(ssm)
    emit(
        rt,
        st,
        "\n".join(
            [
                f"Mode: {st['mode']}",
                f"Cisco SSM: {st['cloud']} (smart account '{st['smart_account']}')",
                f"Virtual accounts: {', '.join(st['linked_virtual_accounts'])}",
                f"Last synchronization: {st['last_sync'] or 'never'}",
                f"Next synchronization: {st['next_sync'] or ('manual' if st['mode'] == 'disconnected' else '-')}",
                f"Outstanding request: {st['outstanding_request'] or 'none'}",
            ]
        ),
    )


@command(
    "sync export",
    "On-prem: write a signed synchronization request for Cisco SSM (disconnected mode).",
    changes="records the outstanding request (a newer one replaces it) and writes the file.",
    example="ccx-ssm --ssm onprem sync export --out sync-request.txt",
    params=(Option("--out", "Write the signed synchronization request here.", required=True, metavar="FILE"),),
)
def sync_export(rt: SsmRun, out: str) -> None:
    from ccxcli.ssm.core import sync

    ssm, now = open_ssm(rt)
    text = sync.make_request(ssm, now)
    _write(out, text)
    emit(
        rt,
        {"file": out, "request": sync.status(ssm)["outstanding_request"]},
        f"Synchronization request written to {out}.",
    )


@command(
    "sync import",
    "Cisco SSM: apply an on-prem's request and write the answer; on-prem: apply the answer.",
    changes="the cloud records the on-prem's usage; the on-prem takes the cloud's licenses and tokens.",
    example="ccx-ssm sync import sync-request.txt --out sync-answer.txt",
    params=(
        Option("FILE", "A request (on Cisco SSM) or an answer (on-prem).", required=True),
        Option("--out", "Cisco SSM: write the signed answer here.", metavar="FILE"),
    ),
)
def sync_import(rt: SsmRun, file: str, out: str | None) -> None:
    from ccxcli.ssm.core import sync

    ssm, now = open_ssm(rt)
    text = read_file(file, sync.MAX_FILE, "a synchronization file", root=None)
    if ssm.on_prem:
        done = sync.apply_answer(ssm, text, now)
        emit(rt, done, f"Synchronized with Cisco SSM (request {done['seq']}).")
        return
    if not out:
        raise UsageError("Give --out FILE for the answer to carry back to the SSM On-Prem.")
    answer = sync.handle_request(ssm, text, now)
    _write(out, answer)
    emit(rt, {"file": out}, f"Synchronization answer written to {out}; import it on the SSM On-Prem.")


def _write(path: str, text: str) -> None:
    from pathlib import Path

    try:
        Path(path).expanduser().write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"Cannot write {path}: {e.strerror}.") from None
