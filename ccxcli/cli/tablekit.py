"""What the command tables are written with: `c`, one command of the `admin:` CLI, and the
texts several commands share in `help <command>`. The tables themselves (`commands_platform`,
`commands_license`, `commands_sim`) are put together, in that order, by `commands`."""

from __future__ import annotations

from ccxcli.cli.grammar import Command

H = "ccxcli.cli.handlers."


def c(
    words: str,
    usage: str,
    help: str,
    handler: str,
    confirm: str | None = None,
    check: str | None = None,
    lab_wide: bool = False,
    aliases: tuple[str, ...] = (),
    changes: str = "",
    example: str = "",
    args: dict[str, str] | None = None,
) -> Command:
    return Command(
        tuple(words.split()),
        usage,
        help,
        H + handler,
        confirm,
        H + check if check else None,
        lab_wide,
        tuple(tuple(a.split()) for a in aliases),
        changes,
        example,
        args,
    )


# Texts several commands share in `help <command>`
NOTHING = "nothing (it only shows)."
AGENT_ID = "The agent's user id: 1-64 printable characters without spaces."
SKILLS = (
    "--skills LIST: comma-separated voice, chat, email, outbound-preview, outbound-predictive, outbound-progressive."
)

RETURN_Q = "This will return all reserved licenses and the node will be unregistered."

# Each command: words, usage, one-line help, handler, [confirmation question, check, lab-wide, other
# spellings], then what `help <command>` says: what it changes, an example (it must parse to the
# command) and each argument (`tests/test_help.py` checks all three for every command).
