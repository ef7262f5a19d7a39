"""The dashboard in a real browser: `retail-warehouse report` on both targets, opened in
headless Chromium through selenium.

Checks that the page loads without console errors and that every chart the report says it drew
is an `svg.chart` with a non-zero size; writes a full-page screenshot to `test-output/`.
Uses the session fixture `built_warehouse` (conftest.py). Skipped without Debian's `chromium`
and `chromium-driver`, selenium, ONLINE_RETAIL_SOURCE or PostgreSQL.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from warehouse_helpers import BIN, REPO, run_command

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
OUTPUT_DIR = REPO / "test-output"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="chromium and chromedriver are not installed "
        "(apt-get install -y chromium chromium-driver)",
    ),
]

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

CHART_COUNT = re.compile(r": (\d+) charts in (\d+) sections")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium with a fresh profile, logging the browser console."""
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="rw_report_chromium_")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_report_renders_in_browser(
    built_warehouse: dict[str, Any], browser: Any, tmp_path: Path, target: str
) -> None:
    """The generated page loads cleanly and every chart has a size on screen."""
    output = tmp_path / f"dashboard_{target}.html"
    result = run_command(
        [str(BIN / "retail-warehouse"), "report", "--target", target, "--output", str(output)],
        built_warehouse["env"],
    )
    said = CHART_COUNT.search(result.stdout)
    assert said, result.stdout
    charts_said = int(said.group(1))
    assert charts_said >= 10, result.stdout
    assert "not built yet" not in result.stdout
    html = output.read_text(encoding="utf-8")
    assert f'data-chart-count="{charts_said}"' in html
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )

    browser.get_log("browser")  # drop anything left from an earlier page
    browser.get(output.as_uri())
    # under a loaded CI machine the driver can hand back a large page still parsing
    WebDriverWait(browser, 60).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )
    assert browser.title.startswith("Online Retail II")
    severe = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []

    boxes = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg.chart')).map(function (svg) {"
        "  var box = svg.getBoundingClientRect();"
        "  var title = svg.querySelector('title');"
        "  return [title ? title.textContent : '', box.width, box.height]; });"
    )
    assert len(boxes) == charts_said
    empty = [title for title, width, height in boxes if not (width > 0 and height > 0)]
    assert empty == []
    assert all(title for title, _, _ in boxes)
    main_count = browser.execute_script(
        "return document.querySelector('main').getAttribute('data-chart-count')"
    )
    assert int(main_count) == charts_said

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 40, 16000))
    OUTPUT_DIR.mkdir(exist_ok=True)
    screenshot = OUTPUT_DIR / f"report_{target}.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    browser.set_window_size(1280, 1000)
