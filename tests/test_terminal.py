"""The admin: shell on a real pseudo-terminal, driven the way automation clients drive a
VOS appliance: real TERM values (xterm, vt100 as netmiko asks, dumb), no variable that
clients do not set, commands typed the instant the prompt appears and before the first
prompt, and the raw bytes on the wire checked against Unicon's VOS patterns."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest
from labenv import clean_env

# pyATS Unicon's VOS patterns (unicon.plugins.vos.patterns), on raw bytes.
PROMPT = rb"([\r\n]|\x1b\[K)admin:"
PAGING = rb"\x1b\[1m\r\noptions: q=quit, n=next, p=prev, b=begin, e=end \(lines (\d+) - (\d+) of (\d+)\) : \x1b\[0m"
CPR = b"\x1b[6n"
TERMS = ["xterm", "vt100", "dumb"]


class Wire:
    """A shell on a pseudo-terminal, recording every byte it writes."""

    def __init__(self, home: Path, term: str, rows: int = 24, **env: str) -> None:
        full = clean_env(TERM=term, CCX_HOME=str(home), **env)
        self.child = pexpect.spawn(sys.executable, ["-m", "ccxcli"], env=full, timeout=30, dimensions=(rows, 200))

    def prompt(self) -> bytes:
        self.child.expect(PROMPT)
        return self.child.before  # type: ignore[no-any-return]

    def run(self, command: str) -> bytes:
        """Type a command the instant the prompt is there; what came before the next prompt."""
        self.child.send(command + "\r")
        return self.prompt()

    @property
    def raw(self) -> bytes:
        return self.child.buffer  # type: ignore[no-any-return]

    def close(self) -> bytes:
        self.child.send("exit\r")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.before  # type: ignore[no-any-return]


@pytest.fixture
def wire_log(tmp_path: Path) -> list[bytes]:
    return []


def start(tmp_path: Path, term: str, log: list[bytes], rows: int = 24) -> Wire:
    w = Wire(tmp_path / "lab", term, rows)

    class Tee:
        def write(self, data: bytes) -> None:
            log.append(data)

        def flush(self) -> None:
            pass

    w.child.logfile_read = Tee()
    return w


@pytest.mark.parametrize("term", TERMS)
def test_no_cursor_position_request_and_each_command_echoed_once(tmp_path: Path, term: str) -> None:
    log: list[bytes] = []
    w = start(tmp_path, term, log)
    w.prompt()
    outputs = []
    for i in range(10):
        command = "show license UDI" if i % 2 else "show myself"
        out = w.run(command)
        assert out.count(command.encode()) == 1, (term, out)  # the shell's echo, once
        outputs.append(out)
    w.close()
    wire = b"".join(log)
    assert CPR not in wire  # nobody answers it: prompt_toolkit would wait for it at every prompt
    assert all(b"UDI: PID:UCCX" in o for o in outputs[1::2]) and all(b"Machine Name" in o for o in outputs[::2])
    if term == "dumb":
        assert b"\x1b" not in wire  # a dumb terminal gets text only, also before the banner


@pytest.mark.parametrize("term", TERMS)
def test_input_typed_before_the_first_prompt_is_kept_in_order(tmp_path: Path, term: str) -> None:
    log: list[bytes] = []
    w = start(tmp_path, term, log)
    w.child.send("show myself\rshow license UDI\rshow uccx version\r")  # before the shell even started
    w.prompt()
    first, second, third = w.prompt(), w.prompt(), w.prompt()
    assert b"Machine Name" in first and b"UDI: PID:UCCX" in second and b"Active UCCX Version" in third
    for out, command in ((first, b"show myself"), (second, b"show license UDI"), (third, b"show uccx version")):
        assert out.count(command) == 1, out  # echoed once after its prompt, no off-by-one
    assert b"UDI: PID" not in w.run("show myself")
    w.close()
    banner = b"".join(log)
    assert b"Command Line Interface is starting up, please wait ..." in banner
    assert b"Welcome to the Platform Command Line Interface" in banner
    assert b"emulated Cisco Unified CCX node" in banner


@pytest.mark.parametrize("term", ["xterm", "dumb"])
def test_pager_bytes_match_unicon_and_no_key_after_the_last_page(tmp_path: Path, term: str) -> None:
    w = start(tmp_path, term, [])
    w.prompt()
    w.child.send("help\r")
    pages = []
    while True:
        i = w.child.expect([PAGING, PROMPT])
        if i == 1:
            break
        a, b, n = (int(x) for x in w.child.match.groups())
        pages.append((a, b, n))
        assert b < n  # the last page is shown without an options line: nothing waits for a key
        w.child.send("n")  # a single key, as Unicon sends it
    assert pages and pages[0][:2] == (1, 22) and pages[-1][1] + 22 >= pages[-1][2]
    assert b"Machine Name" in w.run("show myself")  # no stray key left in the input
    w.close()


def test_resizing_the_window_changes_the_page(tmp_path: Path) -> None:
    w = start(tmp_path, "xterm", [])
    w.prompt()
    w.child.setwinsize(12, 200)
    w.child.send("help\r")
    w.child.expect(PAGING)
    assert w.child.match.groups()[:2] == (b"1", b"10")
    w.child.send("q")
    w.prompt()
    w.close()


def test_tab_completes_a_whole_word_with_its_space(tmp_path: Path) -> None:
    w = start(tmp_path, "xterm", [])
    w.prompt()
    w.child.send("sh\t")
    w.child.send("lic\t")
    w.child.send("UD\t")
    out = w.run("")
    assert b"UDI: PID:UCCX" in out, out
    w.close()


@pytest.mark.parametrize("key", ["\x03", "\x04"])
def test_ctrl_c_or_ctrl_d_at_continue_cancels(tmp_path: Path, key: str) -> None:
    w = start(tmp_path, "xterm", [])
    w.prompt()
    w.child.send("sim node create zz\r")
    w.prompt()
    w.child.send("sim node delete zz\r")
    w.child.expect(rb"Continue \(y/n\)\?")
    w.child.send(key)
    out = w.prompt()
    assert b"Cancelled; nothing was changed." in out and b"no terminal" not in out, out
    assert b"Executed command unsuccessfully" in out
    assert b"zz" in w.run("sim node list")
    w.close()


def test_a_command_that_is_not_allowed_is_refused_before_the_question(tmp_path: Path) -> None:
    w = start(tmp_path, "dumb", [])
    w.prompt()
    out = w.run("license smart reservation return")
    assert b"Continue" not in out and b"No reservation is installed" in out
    out = w.run("license smart deregister")
    assert b"Continue" not in out and b"not registered" in out
    w.close()


def test_failure_marker_follows_the_reason(tmp_path: Path) -> None:
    w = start(tmp_path, "dumb", [])
    w.prompt()
    out = w.run("show license frobnicate")
    text = out.decode().replace("\r", "")
    assert re.search(r"unknown word 'frobnicate'.*\nExecuted command unsuccessfully\s*$", text, re.S), text
    assert b"Executed command unsuccessfully" not in w.run("show license UDI")
    w.close()


def test_answers_to_questions_are_shown_once(tmp_path: Path) -> None:
    w = start(tmp_path, "xterm", [])
    w.prompt()
    w.child.send("license smart transport proxy proxy.lab 3128\r")
    w.child.expect(rb"Do you want to enable Authentication based proxy \? y/n")
    w.child.send("y\r")
    w.child.expect(rb"User Name :")
    w.child.send("alice\r")
    w.child.expect(rb"Password:")
    w.child.send("s3cret\r")
    out = w.prompt()
    assert b"Transport settings updated successfully." in out
    assert b"s3cret" not in out
    w.close()


@pytest.mark.parametrize("term", TERMS)
def test_answers_typed_with_the_command_are_taken(tmp_path: Path, term: str) -> None:
    """A client that types the command, the answer to its question or to the pager, and the
    next command in one burst (`printf '...\\ny\\n' | ssh -tt`, expect scripts that do not
    wait): the line editor reads it all at once, yet the question and the pager get their
    answer, each once, and the next command runs. (They used to wait for ever.)"""
    w = start(tmp_path, term, [], rows=12)
    w.prompt()
    w.run("sim node create zz")
    w.child.send("sim node delete zz\ry\rsim node list\r")
    w.child.expect(rb"Continue \(y/n\)\? y\r\n")
    assert b"Node zz deleted." in w.prompt()
    listed = w.prompt()
    assert b"uccx" in listed and b"zz" not in listed, listed
    w.child.send("help\rqshow license UDI\r")  # q answers the pager before its line is written
    w.child.expect(PAGING)
    out = w.prompt()
    assert b"UDI: PID:UCCX" in w.prompt() + out
    assert b"UDI: PID:UCCX" in w.run("show license UDI")  # nothing typed ahead is left over
    w.child.send("license smart transport proxy proxy.lab 3128\ry\ralice\rs3cret\rset cli pagination off\r")
    w.child.expect(rb"Password:")
    done = w.prompt()
    assert b"Transport settings updated successfully." in done and b"s3cret" not in done, done  # not echoed
    assert b"Automatic pagination is turned off" in w.prompt()
    assert b"proxy.lab" in w.run("show license status")
    w.close()


def test_a_key_waiting_in_the_terminal_reaches_the_pager() -> None:
    """The client's `q` is already in the terminal's buffer (line mode, no Enter) when the
    pager switches the terminal to single keys: it must be read, not flushed away."""
    import threading
    import time

    from ccxcli.cli.terminal import read_key

    master, slave = os.openpty()
    try:
        os.write(master, b"q")  # waiting in the line discipline's canonical buffer
        time.sleep(0.2)
        later = threading.Timer(2.0, os.write, (master, b"x"))  # so that a flushed q does not hang the test
        later.start()
        try:
            assert read_key(slave) == "q"
        finally:
            later.cancel()
    finally:
        os.close(master)
        os.close(slave)


@pytest.mark.parametrize("key", ["\x03", "\x04"])
def test_ctrl_c_or_ctrl_d_typed_ahead_cancels_the_question(tmp_path: Path, key: str) -> None:
    w = start(tmp_path, "xterm", [])
    w.prompt()
    w.run("sim node create zz")
    w.child.send("sim node delete zz\r" + key + "sim node list\r")
    w.child.expect(rb"Continue \(y/n\)\?")
    assert b"Cancelled; nothing was changed." in w.prompt()
    assert b"zz" in w.prompt()  # the command typed after it ran, and zz is still there
    w.close()


@pytest.mark.parametrize("term", TERMS)
def test_question_mark_reprints_the_line_from_its_start(tmp_path: Path, term: str) -> None:
    """`?` (the first key a VOS admin presses) lists what may follow and reprints the line:
    from the start of the line, never a second prompt after the first on the same line."""
    log: list[bytes] = []
    w = start(tmp_path, term, log)
    w.prompt()
    w.child.send("show license ")
    w.child.expect_exact(b"show license ")
    w.child.send("?")
    w.child.expect(rb"admin:show license \?\r\n")
    before = w.child.before
    w.child.expect(PROMPT)
    listing = w.child.before
    assert b"UDI" in listing and b"status" in listing
    # on the wire: the typed text, maybe the editor's own erase, then \r before the reprint
    assert before.endswith(b"\r" if term == "dumb" else b"\r\x1b[K"), (term, before)
    w.child.send("UDI\r")
    assert b"UDI: PID:UCCX" in w.prompt()
    w.close()
    if term == "dumb":
        assert b"\x1b" not in b"".join(log)


@pytest.mark.parametrize("term", TERMS)
def test_the_answer_is_echoed_as_it_is_typed(tmp_path: Path, term: str) -> None:
    """At `Continue (y/n)?` each key comes back as it is typed, before Enter, as a terminal in
    its ordinary mode echoes it: automation waits for its `y` before it sends Enter (scrapli's
    send_interactive). Backspace erases; the answer is taken once."""
    w = start(tmp_path, term, [])
    w.prompt()
    w.run("sim node create zz")
    w.child.send("sim node delete zz\r")
    w.child.expect(rb"Continue \(y/n\)\? ")
    w.child.send("n")
    w.child.expect_exact(b"n", timeout=5)  # before Enter
    w.child.send("\x7f")
    w.child.expect_exact(b"\b \b", timeout=5)
    w.child.send("y")
    w.child.expect_exact(b"y", timeout=5)
    w.child.send("\r")
    out = w.prompt()
    assert b"Node zz deleted." in out and b"y" not in out.split(b"Node zz deleted.")[0], out  # echoed once
    w.close()
