"""A real browser (Chromium, driven by Selenium through chromedriver) walks the portal's
Reserve Licenses wizard with a node's request code, downloads the Authorization Code as a
file, and the node installs it; then the reservation is updated, confirmed and returned.
Each page visited is saved as a screenshot under the test's temporary folder (and, with
`CCX_SCREENSHOTS=DIR`, copied there: that is how `docs/screenshots/` was made).

`.ci/run` installs Debian's `chromium` and `chromium-driver`; on a machine without them
these tests are skipped, saying so."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from served import Served, ccx, init

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="Chromium and chromedriver are not installed (apt-get install chromium "
    "chromium-driver; .ci/run does it)"
)  # fmt: skip
PASSWORD = "browser-pass"


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
                "--window-size=1100,850", "--disable-gpu", "--no-first-run"):  # fmt: skip
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})  # fmt: skip
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


def _downloaded(folder: Path, before: set[str]) -> Path:
    end = time.time() + 30
    while time.time() < end:
        done = [p for p in folder.glob("AuthorizationCode_SN_*.txt") if p.name not in before]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError("no file was downloaded")


def test_the_reserve_licenses_wizard_in_a_real_browser(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    folder = tmp_path / "ssm"
    pem = init(tmp_path, folder)
    server = Served(tmp_path, folder, password=PASSWORD)
    shots = Shots(browser, tmp_path / "screens")
    home = tmp_path / "node-lab"
    try:
        assert ccx(home, "sim", "ssm", "trust", str(pem)).returncode == 0
        ccx(home, "license", "smart", "reservation", "enable")
        req = json.loads(ccx(home, "--json", "license", "smart", "reservation", "request").stdout)["request_code"]
        base = f"https://127.0.0.1:{server.port}"
        find = browser.find_element

        def go(element: Any) -> None:
            """Click a link or button that loads a page, and wait for that page: the old page is
            marked, and the wait ends on a fully loaded page without the mark. (Polling an element
            of the old page for staleness races the navigation: Chromium may answer that call
            with a generic inspector error instead of a stale-element one.)"""
            from selenium.common.exceptions import WebDriverException
            from selenium.webdriver.support.ui import WebDriverWait

            browser.execute_script("window.ccxOldPage = true;")
            element.click()
            # a script run while the page changes may fail once: asked again until the 30 s are up
            WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(
                lambda b: b.execute_script("return !window.ccxOldPage && document.readyState === 'complete';")
            )

        browser.get(base + "/reservations")
        assert "Log in" in browser.title
        shots.take("login")
        find(By.ID, "password").send_keys(PASSWORD)
        go(find(By.ID, "login"))
        assert find(By.TAG_NAME, "h1").text == "Specific License Reservations"
        browser.get(base + "/")
        shots.take("overview")
        go(find(By.LINK_TEXT, "Reservations"))
        go(find(By.ID, "reserve"))
        find(By.ID, "request-code").send_keys(req)
        shots.take("wizard-1-request-code")
        go(find(By.ID, "next"))
        assert "license type: Flex" in find(By.TAG_NAME, "main").text
        find(By.ID, "qty-flex-standard").send_keys("8")
        find(By.ID, "qty-flex-premium").send_keys("2")
        shots.take("wizard-2-select-licenses")
        go(find(By.ID, "next"))
        assert "flex-standard" in find(By.ID, "review").text
        shots.take("wizard-3-review")
        go(find(By.ID, "generate"))
        code = find(By.ID, "authorization-code").get_attribute("value")
        assert code.startswith("<specificPLR>")
        shots.take("wizard-4-authorization-code")
        before = {p.name for p in browser.downloads.iterdir()}
        find(By.ID, "download").click()
        auth_file = _downloaded(browser.downloads, before)
        assert auth_file.read_text().strip() == code
        r = ccx(home, "license", "smart", "reservation", "install-file", str(auth_file))
        assert r.returncode == 0 and "flex-premium 2, flex-standard 8" in r.stdout, r.stderr

        sn = json.loads(ccx(home, "--json", "show", "license", "UDI").stdout)["udi"]["sn"]
        browser.get(base + "/reservations")
        go(find(By.LINK_TEXT, str(_instance_id(browser, sn))))
        shots.take("reservation")
        box = find(By.ID, "upd-flex-standard")
        box.clear()
        box.send_keys("12")
        go(find(By.ID, "update"))
        update = find(By.ID, "authorization-code").get_attribute("value")
        shots.take("reservation-update-code")
        r = ccx(home, "--json", "license", "smart", "reservation", "install", update)
        conf = json.loads(r.stdout)["confirmation_code"]
        browser.get(base + f"/reservations/{sn}")
        find(By.ID, "confirmation-code").send_keys(conf)
        go(find(By.ID, "confirm"))
        assert find(By.ID, "flash").text == "Reservation update confirmed."
        shots.take("reservation-confirmed")
        ret = json.loads(ccx(home, "--yes", "--json", "license", "smart", "reservation", "return").stdout)[
            "return_code"
        ]
        browser.get(base + "/reservations")
        find(By.ID, "return-code").send_keys(ret)
        go(find(By.ID, "return"))
        assert "returned to 'DEFAULT'" in find(By.ID, "flash").text
        shots.take("reservations-after-return")
        browser.get(base + "/licenses")
        shots.take("licenses")
        rows = {tr.find_elements(By.TAG_NAME, "td")[0].text: tr.find_elements(By.TAG_NAME, "td")[3].text
                for tr in find(By.ID, "licenses").find_elements(By.TAG_NAME, "tr")[1:]}  # fmt: skip
        assert rows["flex-standard"] == "0" and rows["flex-premium"] == "0"  # nothing reserved any more
        assert len(list((tmp_path / "screens").iterdir())) == shots.n
    finally:
        server.stop()


def _instance_id(browser: Any, sn: str) -> int:
    from selenium.webdriver.common.by import By

    for tr in browser.find_element(By.ID, "reservations").find_elements(By.TAG_NAME, "tr")[1:]:
        cells = tr.find_elements(By.TAG_NAME, "td")
        if cells[1].text == sn:
            return int(cells[0].text)
    raise AssertionError(f"no reservation of SN {sn}")
