"""ccx-ssm user, api-client and cert commands: who may use the served SSM's portal, who may
call Cisco's API on it, and the certificate its clients trust."""

from __future__ import annotations

from ccxcli.ssm.cli.app import PROG, SsmRun, command, emit, open_ssm, password_from, ssm_folder, table
from ccxcli.ssm.cli.cmdkit import Option

PROG.group("api-client", "Clients of Cisco's Smart Accounts and Licensing API (OAuth2) on the served SSM.")
PROG.group("cert", "The certificate 'ccx-ssm serve' presents.")
PROG.group("user", "Users of the served SSM's portal: a role each, optionally limited to one virtual account.")


@command(
    "user add",
    "Add a portal user with a role (admin, user, viewer), optionally limited to one virtual account.",
    changes="adds a user who can log in to the portal of 'ccx-ssm serve' (the password is stored as a scrypt hash).",
    example="ccx-ssm user add student1 --role user --va Student1 --password-file pw.txt",
    params=(
        Option("NAME", "The user name (letters, digits, . _ @ -).", required=True),
        Option(
            "--role",
            "admin (Smart Account Administrator), user (Virtual Account User) or viewer (Virtual Account Viewer).",
            default="user",
            metavar="ROLE",
        ),
        Option("--va", "The one virtual account the user sees (default: all).", metavar="NAME"),
        Option(
            "--password-file",
            "File whose first line is the user's password (8 characters or more).",
            required=True,
            metavar="FILE",
        ),
    ),
)
def user_add(rt: SsmRun, name: str, role: str, va: str | None, password_file: str) -> None:
    from ccxcli.ssm.core import users

    password = password_from(password_file)
    ssm, now = open_ssm(rt)
    user = users.add(ssm, name, role, va, password, now)
    scope = f", limited to '{user.va}'" if user.va else ""
    emit(
        rt,
        {"name": user.name, "role": user.role, "virtual_account": user.va},
        f"Portal user '{user.name}' added: {user.title}{scope}.",
    )


@command(
    "user list",
    "List the portal users (never their passwords).",
    changes="nothing.",
    example="ccx-ssm user list",
)
def user_list(rt: SsmRun) -> None:
    from ccxcli.ssm.core import users

    ssm, _ = open_ssm(rt)
    rows = users.listing(ssm)
    cells = [[r["name"], r["title"], r["virtual_account"] or "(all)", r["created"]] for r in rows]
    emit(rt, {"users": rows}, table=table(rt, "Portal users", ["Name", "Role", "Virtual Account", "Created"], cells))


@command(
    "user remove",
    "Remove a portal user; its open portal sessions end at their next request.",
    changes="deletes the user.",
    example="ccx-ssm user remove student1",
    params=(Option("NAME", "The user name.", required=True),),
)
def user_remove(rt: SsmRun, name: str) -> None:
    from ccxcli.ssm.core import users

    ssm, now = open_ssm(rt)
    users.remove(ssm, name, now)
    emit(rt, {"removed": name}, f"Portal user '{name}' removed.")


@command(
    "api-client create",
    "Create an API client: its id and secret, shown once (the secret is stored hashed).",
    changes="adds an API client that can get OAuth2 access tokens from the served SSM.",
    example="ccx-ssm api-client create reporting --va Sales",
    params=(
        Option("NAME", "A name for the client (shown in lists and events).", required=True),
        Option(
            "--va",
            "A virtual account the client is limited to (repeat for more; default: all).",
            kind="list",
            metavar="NAME",
        ),
    ),
)
def api_client_create(rt: SsmRun, name: str, va: list[str]) -> None:
    from ccxcli.ssm.core import apiclient

    ssm, now = open_ssm(rt)
    client_id, secret = apiclient.create(ssm, name, va, now)
    emit(
        rt,
        {"client_id": client_id, "client_secret": secret},
        f"Client ID: {client_id}\nClient Secret: {secret}\n"
        "The secret is shown this once (only its hash is kept); get tokens with "
        "POST /as/token.oauth2 (grant_type=client_credentials).",
    )


@command(
    "api-client list",
    "List the API clients (never their secrets).",
    changes="nothing.",
    example="ccx-ssm api-client list",
)
def api_client_list(rt: SsmRun) -> None:
    from ccxcli.ssm.core import apiclient

    ssm, _ = open_ssm(rt)
    rows = apiclient.listing(ssm)
    cells = [
        [
            r["client_id"],
            r["name"],
            ", ".join(r["virtual_accounts"] or ["(all)"]),
            r["created"],
            "revoked" if r["revoked"] else "active",
        ]
        for r in rows
    ]
    emit(
        rt,
        {"clients": rows},
        table=table(rt, "API clients", ["Client ID", "Name", "Virtual Accounts", "Created", "State"], cells),
    )


@command(
    "api-client revoke",
    "Revoke an API client: it gets no new token and its tokens stop working.",
    changes="marks the client revoked and drops its access tokens.",
    example="ccx-ssm api-client revoke 3f2a...",
    params=(Option("CLIENT_ID", "The client's id (from 'api-client list').", required=True),),
)
def api_client_revoke(rt: SsmRun, client_id: str) -> None:
    from ccxcli.ssm.core import apiclient

    ssm, now = open_ssm(rt)
    apiclient.revoke(ssm, client_id, now)
    emit(rt, {"revoked": client_id.strip().lower()}, f"API client {client_id.strip().lower()} revoked.")


@command(
    "cert export",
    "Write the certificate 'ccx-ssm serve' presents (PEM), for clients to trust.",
    changes="makes the certificate (tls-cert.pem in the SSM folder) if it has none that fits; the server "
    "keeps presenting it.",
    example="ccx-ssm cert export --out cssm.pem; REQUESTS_CA_BUNDLE=cssm.pem python script.py",
    params=(Option("--out", "Write it to this file instead of printing it.", metavar="FILE"),),
)
def cert_export(rt: SsmRun, out: str | None) -> None:
    from pathlib import Path

    from ccxcli.errors import UsageError
    from ccxcli.ssm.core.served_cert import served
    from ccxcli.store.files import read_bounded

    ssm, _ = open_ssm(rt)
    names = ssm.names()
    ssm.close()
    pem = read_bounded(served(ssm_folder(rt), names), "SSM certificate", 100_000).decode()
    if out:
        try:
            Path(out).expanduser().write_text(pem, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"Cannot write {out}: {e.strerror}.") from None
    data = {"names": names or ["localhost"], "file": out, "certificate": pem}
    if rt.json:
        emit(rt, data)
    elif out:
        emit(rt, data, f"Certificate for {', '.join(names or ['localhost'])} written to {out}.")
    else:
        rt.out.write(pem)
