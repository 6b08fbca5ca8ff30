"""The real prompt_toolkit shell on a pseudo-terminal (pexpect), and its pure helpers."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect
import pytest
from labenv import clean_env
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from ccxcli.cli.shell import CcxCompleter, help_text

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def completions(text: str) -> list[str]:
    return [c.text for c in CcxCompleter().get_completions(Document(text), CompleteEvent())]


def test_completer_is_the_table() -> None:
    assert completions("sh") == ["show "]  # a unique completion ends the word
    assert completions("show license s") == ["status", "summary"]
    assert completions("set cli pagination ") == ["on", "off"]
    assert completions("show license UD") == ["UDI "]
    assert completions('license smart reservation install "<specificPLR') == []


def test_help_text_rows() -> None:
    assert "status" in help_text("show license ") and "UDI" in help_text("show license ")
    assert "could be" in help_text("show license s x")


def spawn(home: Path) -> pexpect.spawn:
    env = clean_env(TERM="xterm", CCX_HOME=str(home))
    child = pexpect.spawn(
        sys.executable, ["-m", "ccxcli", "shell"], env=env, encoding="utf-8", timeout=20, dimensions=(24, 120)
    )
    return child


def expect(child: pexpect.spawn, pattern: str) -> None:
    try:
        child.expect(pattern)
    except pexpect.TIMEOUT:  # pragma: no cover - a readable diff on failure
        pytest.fail(f"waited for {pattern!r}; the screen shows:\n{ANSI.sub('', child.before or '')[-1500:]}")


@pytest.mark.smoke  # the shell on a pseudo-terminal
def test_shell_end_to_end(tmp_path: Path) -> None:
    child = spawn(tmp_path / "lab")
    try:
        expect(child, "admin:")
        child.send("show license ?")
        expect(child, "techsupport")
        expect(child, "admin:")
        child.send("\x15")  # Ctrl-U clears the line
        child.sendline("set cli pagination off")
        expect(child, "admin:")
        child.send("sh li UD\t")
        child.sendline("")
        expect(child, r"UDI: PID:UCCX,SN:[0-9a-f]{5},UUID:[0-9a-f]{32}")
        expect(child, "admin:")
        child.send("\x12")  # Ctrl-R searches the history
        child.send("li UD")
        child.send("\r")  # accepts the search
        child.send("\r")  # runs the found command
        expect(child, r"UDI: PID:UCCX")
        expect(child, "admin:")
        child.sendline("frobnicate")
        expect(child, "unknown word 'frobnicate'")
        expect(child, "admin:")
        child.sendline("sim node delete uccx")
        expect(child, r"Continue \(y/n\)\?")
        child.sendline("n")
        expect(child, "Cancelled")
        expect(child, "admin:")
        child.send("show lic")
        child.sendintr()  # Ctrl-C clears the line, the shell carries on
        expect(child, "admin:")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_shell_pages_long_output_and_takes_a_pasted_multiline_code(tmp_path: Path) -> None:
    child = spawn(tmp_path / "lab")
    try:
        expect(child, "admin:")
        child.sendline("help")
        expect(child, r"options: q=quit, n=next, p=prev, b=begin, e=end \(lines 1 - 22 of \d+\) : ")
        child.send("n")  # one key, no Enter, as Unicon's VOS plugin sends it
        expect(child, r"\(lines 23 - 44 of \d+\) : ")
        child.send("q")
        expect(child, "admin:")
        child.sendline('license smart reservation install "<specificPLR>')
        child.sendline('<authorizationCode>x</authorizationCode>"')
        expect(child, "Authorization Code is malformed")
        expect(child, "admin:")
        # a bracketed paste of a code over several lines, then Enter
        child.send('license smart reservation install "\x1b[200~<specificPLR>\r\n<authorizationCode>x\x1b[201~"')
        child.send("\r")
        expect(child, "Authorization Code is malformed")
        expect(child, "admin:")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close()
