"""/docs in a real headless Chromium, served by gunicorn: Swagger UI renders the API from
/openapi.json, and every request the page makes stays on the server (no CDN).

Needs Debian's chromium and chromium-driver (`scripts/install-browser.sh`; `.ci/run` runs it).
The browser cannot leave loopback even if the page asked it to: every host but 127.0.0.1 is
mapped to an unresolvable address, and the network log still records the attempt.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
RENDER_TIMEOUT = 60  # seconds: a bound for a slow machine, not an expectation
NOT_NETWORK = ("data", "blob", "about", "chrome", "chrome-extension")

if not (CHROMIUM.is_file() and CHROMEDRIVER.is_file()):
    pytest.skip(f"no browser: {CHROMIUM} and {CHROMEDRIVER} are needed; run scripts/install-browser.sh "
                "(Debian's chromium and chromium-driver)", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in requirements-test.txt")

from selenium.webdriver import Chrome  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path) -> Iterator[Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    # Headless as root in a container; no background traffic of Chromium's own (updates, sync,
    # safe browsing), and any host other than loopback fails to resolve.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-extensions", "--window-size=1280,2000",
                 f"--user-data-dir={tmp_path / 'profile'}",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def requested_urls(driver: Chrome) -> set[str]:
    """Every URL the page asked for: the DevTools network log and the resource timing entries."""
    urls = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.add(message["params"]["request"]["url"])
    urls |= set(driver.execute_script(
        "return performance.getEntries().map(e => e.name).filter(n => n.includes(':'));"))
    return urls


def test_docs_render_the_api_from_the_server_alone(sqlite_server, browser):
    base = sqlite_server.url
    title = requests.get(f"{base}/openapi.json", timeout=30).json()["info"]["title"]
    browser.get(f"{base}/docs")
    wait = WebDriverWait(browser, RENDER_TIMEOUT)
    # Swagger UI draws one block per operation once it has fetched and parsed /openapi.json
    screen = wait.until(expected_conditions.visibility_of_element_located(
        (By.CSS_SELECTOR, '.opblock-post .opblock-summary-path[data-path="/v1/screen"]')))
    block = screen.find_element(By.XPATH, "./ancestor::*[contains(@class, 'opblock-summary')][1]")
    assert block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text == "POST"
    assert title in browser.find_element(By.CSS_SELECTOR, ".information-container .title").text
    paths = {e.get_attribute("data-path") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/v1/screen", "/v1/screen/batch", "/v1/audit/verify", "/healthz"} <= paths
    assert browser.find_elements(By.CSS_SELECTOR, ".btn.authorize")  # the bearer scheme is offered

    urls = requested_urls(browser)
    loaded = {u for u in urls if urlsplit(u).scheme not in NOT_NETWORK}
    assert f"{base}/openapi.json" in loaded and f"{base}/docs" in loaded
    assert {u for u in loaded if urlsplit(u).hostname != "127.0.0.1"} == set()
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
