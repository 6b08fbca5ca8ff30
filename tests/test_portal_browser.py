"""A real browser (Chromium, driven by Selenium through chromedriver) uses the portal as a CSSM
administrator does: License Reservation… on the Licenses tab, the wizard with Back and Cancel,
each product instance's Actions menu, codes uploaded as files and copied with a button, an SSM
On-Prem and a cloud SSM side by side, portal users limited to their virtual account, CSV
exports, search; and axe-core (the npm package, injected into each page) finds no serious or
critical accessibility violation on any page.

Each page visited is saved as a screenshot under the test's temporary folder (and, with
`CCX_SCREENSHOTS=DIR`, copied there: that is how `docs/screenshots/` was made).

`.ci/run` installs Debian's `chromium` and `chromium-driver` and `npm install`s axe-core into
`.ci/npm`; on a machine without them these tests are skipped, saying so."""

from __future__ import annotations

import csv
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labenv import ssm_state
from served import Served, ccx, init, ssm

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
AXE = Path(os.environ.get("CCX_AXE") or Path(__file__).parent.parent / ".ci/npm/node_modules/axe-core/axe.min.js")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="Chromium and chromedriver are not installed (apt-get install chromium chromium-driver; .ci/run does it)",
)
PASSWORD = "browser-pass"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--ignore-certificate-errors",
        "--window-size=1100,850",
        "--disable-gpu",
        "--no-first-run",
    ):
        opts.add_argument(arg)
    opts.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=opts)
    driver.set_page_load_timeout(60)
    driver.downloads = downloads  # type: ignore[attr-defined]
    yield driver
    driver.quit()


class Shots:
    def __init__(self, driver: Any, folder: Path) -> None:
        self.driver, self.folder, self.n = driver, folder, 0
        folder.mkdir(exist_ok=True)
        self.copy_to = os.environ.get("CCX_SCREENSHOTS")

    def take(self, name: str) -> None:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{name}.png"
        assert self.driver.save_screenshot(str(path))
        assert path.stat().st_size > 1000
        if self.copy_to:
            Path(self.copy_to).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(self.copy_to) / f"{name}.png")


def downloaded(folder: Path, pattern: str, before: set[str]) -> Path:
    end = time.time() + 30
    while time.time() < end:
        done = [p for p in folder.glob(pattern) if p.name not in before and not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no file {pattern} was downloaded")


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text("utf-8").splitlines()))


def go(browser: Any, element: Any) -> None:
    """Click a link or button that loads a page, and wait for that page: the old page is
    marked, and the wait ends on a fully loaded page without the mark. (Polling an element
    of the old page for staleness races the navigation: Chromium may answer that call with a
    generic inspector error instead of a stale-element one.)"""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.ccxOldPage = true;")
    element.click()
    # a script run while the page changes may fail once: asked again until the 30 s are up
    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script("return !window.ccxOldPage && document.readyState === 'complete';")
    )


def by_id(browser: Any, ident: str) -> Any:
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, ident)


def text_of(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.TAG_NAME, "main").text)


def login(browser: Any, base: str, user: str = "", password: str = PASSWORD) -> None:
    browser.get(base + "/login")
    if user:
        by_id(browser, "username").send_keys(user)
    by_id(browser, "password").send_keys(password)
    go(browser, by_id(browser, "login"))
    assert "Log in" not in browser.title, text_of(browser)


def node_request(home: Path, pem: Path) -> str:
    assert ccx(home, "sim", "ssm", "trust", str(pem)).returncode == 0
    ccx(home, "license", "smart", "reservation", "enable")
    r = ccx(home, "--json", "license", "smart", "reservation", "request")
    return str(json.loads(r.stdout)["request_code"])


def reserved_node(tmp_path: Path, server: Served, pem: Path) -> Path:
    """A node (its lab home) holding 2 standard licenses reserved on the served SSM."""
    node = tmp_path / "node"
    reserve = ["reservation", "authorize", "--license", "flex-standard=2"]
    r = ssm(tmp_path, "--ssm", str(server.folder), *reserve, "--request", node_request(node, pem))
    assert r.returncode == 0, r.stderr
    return node


def node_sn(home: Path) -> str:
    return str(json.loads(ccx(home, "--json", "show", "license", "UDI").stdout)["udi"]["sn"])


def instance_id(browser: Any, sn: str) -> str:
    from selenium.webdriver.common.by import By

    for tr in by_id(browser, "instances").find_elements(By.CSS_SELECTOR, "tr[data-id]"):
        if tr.find_elements(By.TAG_NAME, "td")[1].text == sn:
            return str(tr.get_attribute("data-id"))
    raise AssertionError(f"no product instance of SN {sn}")


def open_actions(browser: Any, ident: str) -> None:
    from selenium.webdriver.common.by import By

    by_id(browser, f"actions-{ident}").find_element(By.TAG_NAME, "summary").click()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Served, Path, str]]:
    folder = tmp_path / "ssm"
    pem = init(tmp_path, folder)
    server = Served(tmp_path, folder, password=PASSWORD)
    yield server, pem, f"https://127.0.0.1:{server.port}"
    server.stop()


def test_the_slr_flow_as_cssm_lays_it_out(browser: Any, served: Any, tmp_path: Path) -> None:
    """Licenses → License Reservation… (the wizard, with the request code uploaded as the file
    the node wrote) → the Authorization Code downloaded and installed → the instance's Actions:
    Update Reserved Licenses, Enter Confirmation Code, Remove with the return code file."""
    from selenium.webdriver.common.by import By

    server, pem, base = served
    shots = Shots(browser, tmp_path / "screens")
    home = tmp_path / "node-lab"
    request_file = tmp_path / "request.txt"  # carried off the air-gapped node as a file
    request_file.write_text(node_request(home, pem) + "\n")
    browser.get(base + "/licenses")
    assert "Log in" in browser.title
    shots.take("login")
    by_id(browser, "password").send_keys(PASSWORD)
    go(browser, by_id(browser, "login"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Licenses of 'DEFAULT'"
    assert "UCCX Flex Standard Agent" in by_id(browser, "licenses").text  # names, not aliases
    shots.take("licenses")
    go(browser, by_id(browser, "reserve"))  # License Reservation… on the Licenses tab
    by_id(browser, "request-code-file").send_keys(str(request_file))  # uploaded, not pasted
    shots.take("wizard-1-request-code")
    go(browser, by_id(browser, "next"))
    assert "license type: Flex" in text_of(browser)
    by_id(browser, "qty-flex-standard").send_keys("8")
    by_id(browser, "qty-flex-premium").send_keys("2")
    shots.take("wizard-2-select-licenses")
    go(browser, by_id(browser, "next"))
    assert "UCCX Flex Standard Agent" in by_id(browser, "review").text
    shots.take("wizard-3-review")
    go(browser, by_id(browser, "generate"))
    code = by_id(browser, "authorization-code").get_attribute("value")
    assert code.startswith("<specificPLR>")
    shots.take("wizard-4-authorization-code")
    before = {p.name for p in browser.downloads.iterdir()}
    by_id(browser, "download").click()
    auth_file = downloaded(browser.downloads, "AuthorizationCode_SN_*.txt", before)
    assert auth_file.read_text().strip() == code
    r = ccx(home, "license", "smart", "reservation", "install-file", str(auth_file))
    assert r.returncode == 0 and "flex-premium 2, flex-standard 8" in r.stdout, r.stderr

    sn = node_sn(home)
    browser.get(base + "/instances")
    ident = instance_id(browser, sn)
    open_actions(browser, ident)
    assert "Update Reserved Licenses" in by_id(browser, f"actions-{ident}").text
    assert "Enter Confirmation Code" not in by_id(browser, f"actions-{ident}").text  # nothing pending
    shots.take("instance-actions")
    go(browser, by_id(browser, f"update-{ident}"))
    box = by_id(browser, "upd-flex-standard")
    box.clear()
    box.send_keys("12")
    go(browser, by_id(browser, "update"))
    assert "+4" in by_id(browser, "review").text  # Review: 8 now, 12 new
    shots.take("reservation-update-review")
    go(browser, by_id(browser, "generate"))
    update = by_id(browser, "authorization-code").get_attribute("value")
    shots.take("reservation-update-code")
    r = ccx(home, "--json", "license", "smart", "reservation", "install", update)
    conf = json.loads(r.stdout)["confirmation_code"]
    browser.get(base + "/instances")
    open_actions(browser, ident)
    go(browser, by_id(browser, f"confirm-{ident}"))
    by_id(browser, "confirmation-code").send_keys(conf)
    go(browser, by_id(browser, "confirm"))
    assert by_id(browser, "flash").text == "Reservation update confirmed."
    reserved = {
        tr.get_attribute("data-alias"): tr.find_elements(By.TAG_NAME, "td")[1].text
        for tr in by_id(browser, "reserved").find_elements(By.CSS_SELECTOR, "tr[data-alias]")
    }
    assert reserved == {"flex-premium": "2", "flex-standard": "12"}  # an SLR instance shows what it holds
    shots.take("instance-slr")
    ret_file = tmp_path / "return.txt"
    r = ccx(home, "--yes", "--json", "license", "smart", "reservation", "return")
    ret_file.write_text(json.loads(r.stdout)["return_code"] + "\n")
    open_actions(browser, ident)
    go(browser, by_id(browser, f"remove-{ident}"))
    by_id(browser, "return-code-file").send_keys(str(ret_file))
    go(browser, by_id(browser, "yes"))
    assert f"Product instance {ident} removed" in by_id(browser, "flash").text
    browser.get(base + "/licenses")
    rows = {
        tr.get_attribute("data-alias"): tr.find_elements(By.TAG_NAME, "td")[3].text
        for tr in by_id(browser, "licenses").find_elements(By.CSS_SELECTOR, "tr[data-alias]")
    }
    assert rows["flex-standard"] == "0" and rows["flex-premium"] == "0"  # nothing reserved any more
    assert len(list((tmp_path / "screens").iterdir())) == shots.n


def test_forms_redirect_ask_first_and_the_wizard_goes_back(browser: Any, served: Any, tmp_path: Path) -> None:
    server, pem, base = served
    login(browser, base)
    browser.get(base + "/tokens")
    by_id(browser, "token-description").send_keys("refresh me")
    go(browser, by_id(browser, "token-create"))
    token = by_id(browser, "new-token").get_attribute("value")
    browser.refresh()  # after POST, redirect, GET: a refresh makes no second token
    assert not browser.find_elements("id", "new-token")
    listed = json.loads(ssm(tmp_path, "--ssm", str(server.folder), "--json", "token", "list").stdout)
    assert [t["token"] for t in listed["tokens"] if t["description"] == "refresh me"] == [token]
    go(browser, by_id(browser, "revoke-1"))  # Revoke asks first
    assert "Revoke the token" in by_id(browser, "question").text
    go(browser, by_id(browser, "cancel"))
    listed = json.loads(ssm(tmp_path, "--ssm", str(server.folder), "--json", "token", "list").stdout)
    assert all(t["state"] == "active" for t in listed["tokens"])
    go(browser, by_id(browser, "revoke-1"))
    go(browser, by_id(browser, "yes"))
    assert by_id(browser, "flash").text == "Token revoked."

    req = node_request(tmp_path / "node", pem)
    browser.get(base + "/licenses")
    go(browser, by_id(browser, "reserve"))
    by_id(browser, "request-code").send_keys(req[:-1] + ("0" if req[-1] != "0" else "1"))
    go(browser, by_id(browser, "next"))
    assert "Request Code" in by_id(browser, "error").text  # refused on the step itself, the entry kept
    box = by_id(browser, "request-code")
    box.clear()
    box.send_keys(req)
    go(browser, by_id(browser, "next"))
    by_id(browser, "qty-flex-standard").send_keys("100000")
    go(browser, by_id(browser, "next"))
    assert not by_id(browser, "generate").is_enabled()  # short: Generate is off, the reason beside it
    assert "More than available" in text_of(browser)
    browser.back()  # the browser's Back: step 2 again, no "Confirm Form Resubmission"
    assert by_id(browser, "qty-flex-standard").get_attribute("value") == "100000"
    browser.back()
    assert by_id(browser, "request-code").get_attribute("value") == req
    browser.forward()
    go(browser, by_id(browser, "back"))  # the wizard's own Back
    assert by_id(browser, "request-code").get_attribute("value") == req
    go(browser, by_id(browser, "next"))
    box = by_id(browser, "qty-flex-standard")
    box.clear()
    box.send_keys("3")
    go(browser, by_id(browser, "next"))
    assert by_id(browser, "generate").is_enabled()
    go(browser, by_id(browser, "cancel"))
    assert "nothing was reserved" in by_id(browser, "flash").text
    r = ssm(tmp_path, "--ssm", str(server.folder), "--json", "reservation", "list")
    assert json.loads(r.stdout)["reservations"] == []

    token = ssm(tmp_path, "--ssm", str(server.folder), "token", "create").stdout.strip()
    node = tmp_path / "smart-node"
    ccx(node, "sim", "ssm", "trust", str(pem))
    ccx(node, "license", "smart", "transport", "gateway", server.gateway)
    assert ccx(node, "license", "smart", "register", "idtoken", token).returncode == 0
    browser.get(base + "/instances")
    ident = instance_id(browser, node_sn(node))
    open_actions(browser, ident)
    go(browser, by_id(browser, f"remove-{ident}"))  # Remove asks first
    assert "Remove product instance" in by_id(browser, "question").text
    go(browser, by_id(browser, "cancel"))
    assert ccx(node, "license", "smart", "renew", "auth").returncode == 0  # still registered
    browser.get(base + f"/instances/{ident}/remove")
    go(browser, by_id(browser, "yes"))
    assert "removed" in by_id(browser, "flash").text


def test_instance_pages_read_as_cssm(browser: Any, served: Any, tmp_path: Path) -> None:
    server, pem, base = served
    token = ssm(tmp_path, "--ssm", str(server.folder), "token", "create").stdout.strip()
    node = tmp_path / "node"
    ccx(node, "sim", "ssm", "trust", str(pem))
    ccx(node, "license", "smart", "transport", "gateway", server.gateway)
    assert ccx(node, "license", "smart", "register", "idtoken", token).returncode == 0
    assert ccx(node, "sim", "agent", "login", "--count", "3").returncode == 0
    assert ccx(node, "sim", "clock", "advance", "1d").returncode == 0
    login(browser, base)
    browser.get(base + "/instances")
    by_id(browser, "q").send_keys("no-such-instance")
    go(browser, by_id(browser, "search"))
    assert "No product instances match 'no-such-instance'" in by_id(browser, "none").text  # search
    box = by_id(browser, "q")
    box.clear()
    box.send_keys(node_sn(node))
    go(browser, by_id(browser, "search"))
    assert len(browser.find_elements("css selector", "#instances tr[data-id]")) == 1
    ident = instance_id(browser, node_sn(node))
    open_actions(browser, ident)
    menu = by_id(browser, f"actions-{ident}").text
    assert "Remove" in menu and "Transfer" in menu and "Update Reserved Licenses" not in menu  # not an SLR one
    browser.get(base + f"/instances/{ident}")
    page = text_of(browser)
    for raw in ("via None", "usage {}", "kind", "{'", "None"):
        assert raw not in page, raw
    assert "Virtual Account" in page and "Smart Licensing" in page
    assert "Enter Confirmation Code" not in page  # nothing pending, no box
    wrapped = browser.execute_script(
        "return [...document.querySelectorAll('td.t')].filter(td => getComputedStyle(td).whiteSpace !== 'nowrap' "
        "|| td.getClientRects()[0].height > 2 * parseFloat(getComputedStyle(td).lineHeight || 20)).length;"
    )
    assert browser.execute_script("return document.querySelectorAll('td.t').length;") >= 2 and wrapped == 0


def test_codes_have_a_copy_button(browser: Any, served: Any, tmp_path: Path) -> None:
    server, pem, base = served
    login(browser, base)
    granted = ["clipboardReadWrite", "clipboardSanitizedWrite"]
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": base, "permissions": granted})
    browser.get(base + "/tokens")
    go(browser, by_id(browser, "token-create"))
    token = by_id(browser, "new-token").get_attribute("value")
    by_id(browser, "new-token-copy").click()
    copied = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('ERROR ' + e));"
    )
    assert copied == token and by_id(browser, "new-token-copied").text == "Copied."
    ssm(
        tmp_path,
        "--ssm",
        str(server.folder),
        "reservation",
        "authorize",
        "--request",
        node_request(tmp_path / "node", pem),
        "--license",
        "flex-standard=1",
    )
    browser.get(base + "/instances")
    ident = browser.execute_script("return document.querySelector('tr[data-id]').dataset.id;")
    browser.get(base + f"/instances/{ident}/authorization-code")
    by_id(browser, "authorization-code-copy").click()
    copied = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, e => done('ERROR ' + e));"
    )
    assert copied.startswith("<specificPLR>") and copied == by_id(browser, "authorization-code").get_attribute("value")


def test_an_on_prem_and_the_cloud_side_by_side(browser: Any, tmp_path: Path) -> None:
    """Each served SSM has its own cookie: logging in to the on-prem keeps the cloud session."""
    home = tmp_path / "lab"
    assert ssm(home, "account", "show").returncode == 0  # the lab's cloud SSM
    assert ssm(home, "--ssm", "site", "init", "--on-prem", "--hostname", "localhost").returncode == 0
    cloud = Served(home, home / "ssm" / "cloud", password=PASSWORD)
    onprem = Served(home, home / "ssm" / "site", password=PASSWORD)
    shots = Shots(browser, tmp_path / "screens")
    try:
        cloud_url, onprem_url = (f"https://127.0.0.1:{s.port}" for s in (cloud, onprem))
        login(browser, cloud_url)
        login(browser, onprem_url)
        browser.get(onprem_url + "/sync")
        assert "connected" in text_of(browser)
        go(browser, by_id(browser, "sync-now"))
        assert "Synchronized with Cisco SSM" in by_id(browser, "flash").text
        shots.take("side-by-side-onprem")
        browser.get(cloud_url + "/sync")
        assert "Log in" not in browser.title and "site" in by_id(browser, "links").text  # still logged in
        shots.take("side-by-side-cloud")
        browser.get(onprem_url + "/")
        assert "SSM On-Prem" in text_of(browser) and "SSM On-Prem localhost" in browser.title  # told apart
        names = {c["name"] for c in browser.get_cookies()}
        assert len(names) == 2 and all(n.startswith("ccxssm-") for n in names)
    finally:
        cloud.stop()
        onprem.stop()


def test_portal_users_see_only_their_virtual_account(browser: Any, served: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    server, pem, base = served

    def run(*args: str) -> str:
        r = ssm(tmp_path, "--ssm", str(server.folder), *args)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()

    pw = tmp_path / "student.pw"
    pw.write_text("student-pass\n")
    for n in (1, 2):
        run("va", "create", f"Student{n}")
        run("license", "transfer", "flex-standard", "5", "--from", "DEFAULT", "--to", f"Student{n}")
        run("user", "add", f"s{n}", "--role", "user", "--va", f"Student{n}", "--password-file", str(pw))
    run("user", "add", "watcher", "--role", "viewer", "--va", "Student1", "--password-file", str(pw))
    theirs = run("token", "create", "--va", "Student2", "--description", "s2 token")
    login(browser, base, "s1", "student-pass")
    browser.get(base + "/tokens")
    go(browser, by_id(browser, "token-create"))
    mine = by_id(browser, "new-token").get_attribute("value")
    assert theirs not in text_of(browser) and "Student2" not in text_of(browser)
    browser.get(base + "/licenses?va=Student2")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Licenses of 'Student1'"
    before = ssm_state(server.folder)
    # a form forged with the other student's token (the page's CSRF token, the other one's value)
    browser.get(base + "/tokens")
    browser.execute_script(
        "document.querySelector('form[action=\"/tokens/revoke\"] input[name=token]').value = arguments[0];", theirs
    )
    go(browser, by_id(browser, "revoke-1"))
    assert "No such registration token" in by_id(browser, "error").text
    assert ssm_state(server.folder) == before
    browser.get(base + "/events")
    events = by_id(browser, "events").text
    assert "Student1" in events and "Student2" not in events
    # search and filter
    by_id(browser, "q").send_keys("token created")
    go(browser, by_id(browser, "search"))
    rows = by_id(browser, "events").find_elements(By.TAG_NAME, "tr")[1:]
    assert rows and all("created" in r.text.lower() for r in rows)
    assert any(" s1 " in f" {r.text} " for r in rows)  # the User column: the token s1 made is s1's
    before = {p.name for p in browser.downloads.iterdir()}
    by_id(browser, "events-csv").click()
    got = read_csv(downloaded(browser.downloads, "event-log*.csv", before))
    assert got[0] == ["Time", "Event", "Virtual Accounts", "User", "Message"] and len(got) == len(rows) + 1
    assert "s1" in [r[3] for r in got[1:]]
    browser.get(base + "/licenses")
    before = {p.name for p in browser.downloads.iterdir()}
    by_id(browser, "licenses-csv").click()
    got = read_csv(downloaded(browser.downloads, "licenses-Student1*.csv", before))
    row = next(r for r in got if r[0] == "UCCX Flex Standard Agent")
    assert got[0][:3] == ["License", "Entitlement Tag", "Purchased"] and row[2] == row[5] == "5"
    browser.get(base + "/virtual-accounts")
    assert not browser.find_elements(By.ID, "va-create")  # only a Smart Account Administrator has these
    go(browser, by_id(browser, "logout"))

    login(browser, base, "watcher", "student-pass")
    browser.get(base + "/tokens")
    shown = text_of(browser)  # a viewer sees the token exists, not the token (it would register a node)
    assert mine not in shown and mine[:6] + "…" in shown and not browser.find_elements(By.ID, "token-create")
    login(browser, base)  # the administrator sees everyone and can search instances
    browser.get(base + "/tokens")
    assert mine in text_of(browser) and theirs in text_of(browser)
    run("user", "remove", "s1")


def serious_violations(browser: Any, axe: str) -> list[dict[str, Any]]:
    """What axe-core finds serious or critical on the page shown."""
    browser.execute_script(axe)
    found = browser.execute_async_script(
        "const done = arguments[0]; axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}))),"
        " e => done([{id: 'axe-error', impact: 'critical', nodes: [String(e)]}]));"
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def _pages(base: str, ident: str, draft_steps: list[str]) -> list[str]:
    return [
        base + p
        for p in (
            "/",
            "/inventory",
            "/virtual-accounts",
            "/licenses",
            "/licenses?span=1d",
            "/license/flex-standard",
            "/instances",
            f"/instances/{ident}",
            f"/instances/{ident}/update",
            f"/instances/{ident}/confirm",
            f"/instances/{ident}/authorization-code",
            f"/instances/{ident}/remove",
            "/tokens",
            "/events",
            "/sync",
            "/notifications",
            "/licenses/reserve",
            "/instances/999",
        )
    ] + draft_steps


@pytest.mark.skipif(not AXE.is_file(), reason=f"axe-core is not installed ({AXE}; .ci/run: npm install axe-core)")
def test_axe_core_finds_no_serious_violation_on_any_page(browser: Any, served: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    server, pem, base = served
    axe = AXE.read_text()

    def check(url: str | None = None) -> None:
        if url:
            browser.get(url)
        bad = serious_violations(browser, axe)
        assert not bad, (browser.current_url, bad)
        checked.append(browser.current_url)

    checked: list[str] = []
    # the check itself can fail: an unlabelled field and white on light blue (the old header) are caught
    browser.get(
        "data:text/html,<html lang=en><title>t</title><main><h1>t</h1>"
        "<p style='color:white;background:%23049fd9'>Smart</p><input></main></html>"
    )
    with pytest.raises(AssertionError) as caught:
        check()
    assert "'label'" in str(caught.value) and "color-contrast" in str(caught.value)
    checked.clear()
    check(base + "/login")
    login(browser, base)
    node = reserved_node(tmp_path, server, pem)
    update = ssm(
        tmp_path, "--ssm", str(server.folder), "reservation", "update", node_sn(node), "--license", "flex-standard=3"
    )
    assert update.returncode == 0, update.stderr
    browser.get(base + "/instances")
    ident = instance_id(browser, node_sn(node))
    open_actions(browser, ident)
    check()  # with the Actions menu open
    req2 = node_request(tmp_path / "node2", pem)
    browser.get(base + "/licenses/reserve")
    by_id(browser, "request-code").send_keys(req2)
    go(browser, by_id(browser, "next"))
    steps = [browser.current_url]
    by_id(browser, "qty-flex-standard").send_keys("100000")
    go(browser, by_id(browser, "next"))
    steps.append(browser.current_url)
    for url in _pages(base, ident, steps):
        check(url)
    browser.get(base + "/tokens")
    go(browser, by_id(browser, "token-create"))
    check()
    go(browser, browser.find_element(By.ID, "revoke-1"))
    check()  # the question
    home = tmp_path / "lab"
    ssm(home, "--ssm", "site", "init", "--on-prem", "--hostname", "localhost")
    onprem = Served(home, home / "ssm" / "site", password=PASSWORD)
    try:
        check(f"https://127.0.0.1:{onprem.port}/login")
        login(browser, f"https://127.0.0.1:{onprem.port}")
        check(f"https://127.0.0.1:{onprem.port}/sync")
    finally:
        onprem.stop()
    assert len(checked) >= 22


def test_on_a_phone_no_page_scrolls_sideways_and_the_actions_menu_stays_on_screen(
    browser: Any, served: Any, tmp_path: Path
) -> None:
    """At 390 px wide (a phone held upright) every page fits: wide tables scroll in their own
    box, product instances become cards, the header band spans the screen, and an Actions menu
    opened near the left edge (an instance's own page) opens rightwards, all of it visible."""
    from selenium.webdriver.common.by import By

    server, pem, base = served
    node = reserved_node(tmp_path, server, pem)
    for n in range(3):  # tokens are long words: the widest table
        ssm(tmp_path, "--ssm", str(server.folder), "token", "create", "--description", f"a token for student {n}")
    browser.set_window_size(390, 844)
    login(browser, base)
    browser.get(base + "/instances")
    ident = instance_id(browser, node_sn(node))

    def fits(url: str) -> None:
        browser.get(base + url)
        width, inner, header = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.querySelector('header').getBoundingClientRect().width];"
        )
        assert width <= inner and header >= inner - 1, (url, width, inner, header)
        if AXE.is_file():  # (CI installs it; the desktop check says so when it is missing)
            assert not serious_violations(browser, AXE.read_text()), url

    for url in (
        "/",
        "/inventory",
        "/virtual-accounts",
        "/licenses",
        "/license/flex-standard",
        "/instances",
        f"/instances/{ident}",
        "/tokens",
        "/events",
        "/sync",
        "/licenses/reserve",
        f"/instances/{ident}/transfer",
    ):
        fits(url)
    browser.get(base + f"/instances/{ident}")
    open_actions(browser, ident)
    menu = by_id(browser, f"actions-{ident}").find_element(By.TAG_NAME, "ul")
    left, right, inner = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        " return [r.left, r.right, document.documentElement.clientWidth];",
        menu,
    )
    assert 0 <= left and right <= inner, (left, right, inner)
    assert "Authorization Code" in menu.text  # every item readable, none cut ("rved", "Code" before)


def test_polish_escape_closes_a_menu_one_size_of_button_cancel_beside_next_no_menu_at_login(
    browser: Any, served: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    server, pem, base = served
    browser.get(base + "/login")
    assert not browser.find_elements(By.CSS_SELECTOR, "header nav")  # nowhere to go before logging in
    login(browser, base)
    assert browser.find_elements(By.CSS_SELECTOR, "header nav")
    node = reserved_node(tmp_path, server, pem)
    browser.get(base + "/instances")
    ident = instance_id(browser, node_sn(node))
    open_actions(browser, ident)
    menu = by_id(browser, f"actions-{ident}")
    assert menu.get_attribute("open") is not None
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert menu.get_attribute("open") is None  # closed
    assert browser.switch_to.active_element.tag_name == "summary"  # focus back where it was
    browser.get(base + "/licenses")
    caption = browser.find_element(By.CSS_SELECTOR, "#licenses caption")
    assert caption.size["height"] <= 1  # not repeating the heading on screen
    assert caption.get_attribute("textContent") == "Licenses of 'DEFAULT'"  # but named for screen readers
    browser.get(base + "/licenses/reserve")
    by_id(browser, "request-code").send_keys(node_request(tmp_path / "node2", pem))
    go(browser, by_id(browser, "next"))
    nxt, cancel = by_id(browser, "next"), by_id(browser, "cancel")
    middle = cancel.location["y"] + cancel.size["height"] / 2
    assert nxt.location["y"] <= middle <= nxt.location["y"] + nxt.size["height"]  # one line, not Cancel alone below
    sizes = browser.execute_script(
        "return [getComputedStyle(arguments[0]).fontSize, getComputedStyle(arguments[1]).fontSize];",
        cancel,
        by_id(browser, "back"),
    )
    assert sizes[0] == sizes[1], sizes  # a button reads as large as a link-button beside it
    go(browser, cancel)
    assert "/licenses/reserve/" not in browser.current_url


@pytest.mark.skipif(not AXE.is_file(), reason=f"axe-core is not installed ({AXE}; .ci/run: npm install axe-core)")
def test_the_pool_and_a_node_s_usage_are_pictures_people_can_read(browser: Any, tmp_path: Path) -> None:
    """A node reports 30 agents on a pool of 40, then 60: the Licenses tab draws the pool over
    the day (the line of what was reported crosses Purchased), a license's page draws it for its
    virtual account with the instances that use it, and the instance page draws what it
    reported. Each picture is named and described for screen readers, its numbers a table
    away; axe-core finds nothing serious at desktop size or on a phone. (The lab's own SSM,
    served: its clock is the lab's, as a class sees it.)"""
    from selenium.webdriver.common.by import By

    home = tmp_path / "lab"
    va = "Charts"
    for args in (["va", "create", va], ["license", "add", "flex-standard", "40", "--va", va]):
        assert ssm(home, *args).returncode == 0
    token = ssm(home, "token", "create", "--va", va).stdout.strip()
    assert ccx(home, "license", "smart", "register", "idtoken", token).returncode == 0
    for agents in ("30", "30"):  # 30 agents, then 60
        assert ccx(home, "sim", "agent", "login", "--count", agents).returncode == 0
        assert ccx(home, "sim", "clock", "advance", "3h").returncode == 0
    server = Served(home, home / "ssm" / "cloud", password=PASSWORD)
    base = f"https://127.0.0.1:{server.port}"
    shots = Shots(browser, tmp_path / "screens")
    try:
        login(browser, base)
        axe = AXE.read_text()
        browser.get(base + f"/licenses?va={va}&span=1d")
        figure = by_id(browser, "chart-flex-standard")
        svg = figure.find_element(By.TAG_NAME, "svg")
        assert svg.get_attribute("role") == "img" and svg.rect["height"] > 60 and svg.rect["width"] > 300
        assert "in use over what was free from" in figure.find_element(By.TAG_NAME, "figcaption").text
        lines = figure.find_elements(By.CSS_SELECTOR, "polyline")
        assert [ln.get_attribute("class") for ln in lines] == ["line purchased", "line in-use", "line reserved"]
        browser.execute_script("arguments[0].scrollIntoView()", by_id(browser, "over-time"))
        shots.take("licenses-over-time")
        assert not serious_violations(browser, axe)
        go(browser, browser.find_element(By.LINK_TEXT, "UCCX Flex Standard Agent"))
        assert "/license/flex-standard" in browser.current_url
        assert "UCCX Flex Standard Agent" == browser.find_element(By.TAG_NAME, "h1").text
        assert by_id(browser, "license-instances").find_elements(By.CSS_SELECTOR, "tr td a")
        shots.take("license-page")
        assert not serious_violations(browser, axe)
        go(browser, by_id(browser, "license-instances").find_element(By.CSS_SELECTOR, "tr td a"))
        usage = by_id(browser, "usage-chart")
        assert "60 now, at most 60" in usage.text
        browser.execute_script("arguments[0].scrollIntoView()", usage)
        shots.take("instance-usage")
        assert not serious_violations(browser, axe)
        browser.get(base + "/")  # the alert it raised: CSSM's columns, the license by its name
        head = [th.text for th in by_id(browser, "alerts").find_elements(By.TAG_NAME, "th")]
        assert head == ["Severity", "Type", "Message", "Source", "Action Due"]
        row = by_id(browser, "alerts").find_elements(By.TAG_NAME, "tr")[1].text
        assert "Licenses in deficit: UCCX Flex Standard Agent" in row and va in row
        browser.set_window_size(390, 844)
        try:
            for url in (f"/licenses?va={va}&span=1d", f"/license/flex-standard?va={va}", browser.current_url):
                browser.get(url if url.startswith("http") else base + url)
                width, inner = browser.execute_script(
                    "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"
                )
                assert width <= inner, (url, width, inner)
                assert not serious_violations(browser, axe), url
        finally:
            browser.set_window_size(1100, 850)
    finally:
        server.stop()


def test_the_inventory_a_refused_form_and_a_failed_product_rehosted_in_the_browser(
    browser: Any, served: Any, tmp_path: Path
) -> None:
    """CSSM's Inventory (a virtual account, then its tabs); a refused Update comes back filled
    in with why, nothing changed; Update Reserved Licenses reviewed before its code; a failed
    product's licenses rehosted to a replacement from the Actions menu; the notification
    preferences set by an administrator."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    server, pem, base = served
    shots = Shots(browser, tmp_path / "screens")
    failed, spare = tmp_path / "failed", tmp_path / "spare"
    ssm(tmp_path, "--ssm", str(server.folder), "va", "create", "Sales", "--description", "Sales floor")
    ssm(tmp_path, "--ssm", str(server.folder), "license", "add", "flex-standard", "10", "--va", "Sales")
    reserve = ["reservation", "authorize", "--va", "Sales", "--license", "flex-standard=4"]
    auth = ssm(tmp_path, "--ssm", str(server.folder), *reserve, "--request", node_request(failed, pem))
    assert auth.returncode == 0, auth.stderr
    assert ccx(failed, "license", "smart", "reservation", "install", auth.stdout.strip()).returncode == 0
    login(browser, base)
    go(browser, browser.find_element(By.LINK_TEXT, "Inventory"))
    select = by_id(browser, "va-select")
    browser.execute_script("arguments[0].value = 'Sales'; arguments[0].form.submit();", select)
    WebDriverWait(browser, 10).until(lambda b: "Sales floor" in text_of(b))
    assert by_id(browser, "tab-general").get_attribute("aria-current") == "page"
    shots.take("inventory-general")
    go(browser, by_id(browser, "tab-instances"))
    ident = instance_id(browser, node_sn(failed))
    assert by_id(browser, "tab-instances").get_attribute("aria-current") == "page"
    # a refused form: back as it was typed, with why, nothing changed
    open_actions(browser, ident)
    go(browser, by_id(browser, f"update-{ident}"))
    box = by_id(browser, "upd-flex-standard")
    box.clear()
    box.send_keys("four")
    before = ssm_state(server.folder)
    go(browser, by_id(browser, "update"))
    assert "The quantity of" in by_id(browser, "error").text
    assert by_id(browser, "upd-flex-standard").get_attribute("value") == "four" and ssm_state(server.folder) == before
    box = by_id(browser, "upd-flex-standard")
    box.clear()
    box.send_keys("6")
    go(browser, by_id(browser, "update"))
    assert "+2" in by_id(browser, "review").text and ssm_state(server.folder) == before  # reviewed first
    go(browser, by_id(browser, "back"))
    # the device failed: its licenses go to the replacement node
    browser.get(base + f"/instances/{ident}")
    open_actions(browser, ident)
    go(browser, by_id(browser, f"rehost-{ident}"))
    by_id(browser, "rehost-request").send_keys(node_request(spare, pem))
    shots.take("rehost")
    go(browser, by_id(browser, "rehost"))
    assert "Licenses rehosted from product instance" in by_id(browser, "flash").text
    code = by_id(browser, "authorization-code").get_attribute("value")
    r = ccx(spare, "license", "smart", "reservation", "install", code)
    assert r.returncode == 0 and "flex-standard 4" in r.stdout, r.stderr
    browser.get(base + "/instances?va=Sales")
    assert node_sn(failed) not in by_id(browser, "instances").text
    # notifications, as an administrator sets them
    go(browser, browser.find_element(By.LINK_TEXT, "Notifications"))
    by_id(browser, "notify-emails").send_keys("noc@example.com")
    go(browser, by_id(browser, "notify-save"))
    assert by_id(browser, "flash").text == "Notification preferences saved."
    shots.take("notifications")
