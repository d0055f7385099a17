"""The HTML report in a real browser: headless Chromium driven by Playwright.

Opens the example org's page from a file and asserts what only a browser
can tell: no console error (a CSP hash that did not match, a script error),
no request besides the page itself, charts with a real size on screen,
sorting that works, dark mode and printing. Needs Debian's ``chromium`` and
Playwright for Python (``pip install -e '.[browser]'``); .ci/run installs
both. Marked ``slow``: a browser takes seconds to start.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme" / "guardrails.yaml"
#: flags that work on this project's machines (closed network, root, no GPU)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; "
                    ".ci/run installs it)")
    return path


@pytest.fixture(scope="module")
def browser() -> Any:
    executable = chromium()
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright for Python is not installed "
        "(pip install -e '.[browser]'; .ci/run installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("chromium") / "report.html"
    res = run_cli(["check", "-c", str(ACME), "--now", "2026-11-20", "-q", "--format", "html",
                   "--output", str(out)])
    assert res.exit_code == 1, res.output
    return out


def open_page(browser: Any, path: Path, **context: Any) -> tuple[Any, list[str], list[str]]:
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    ctx.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def test_the_page_loads_nothing_logs_no_error_and_draws_its_charts(
        browser: Any, page_file: Path, tmp_path: Path) -> None:
    page, errors, requests = open_page(browser, page_file,
                                       viewport={"width": 1280, "height": 900})
    assert requests == [page_file.as_uri()]
    charts = page.locator("svg.chart")
    assert charts.count() == 5  # four DORA keys and team sizes
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50, i
    bars = page.locator("svg.chart rect.bar, svg.chart rect.bar-over")
    assert bars.count() == 6
    assert all((bars.nth(i).bounding_box() or {}).get("width", 0) > 0 for i in range(6))
    # Sorting by value: the script ran (a CSP hash mismatch would block it and log an error).
    page.locator("#rule-table th:nth-child(3) button").click()
    assert page.locator("#rule-table th:nth-child(3)").get_attribute("aria-sort") == "ascending"
    first = page.locator("#rule-table tbody tr").first.get_attribute("data-rule")
    assert first in ("teams::codeowners-coverage", "teams::bus-factor")  # no value sorts first
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert errors == []
    page.context.close()


def test_dark_mode_and_print(browser: Any, page_file: Path) -> None:
    page, errors, requests = open_page(browser, page_file, color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    assert page.locator("details[open]").count() < page.locator("details").count()
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == \
        "rgb(255, 255, 255)"
    assert page.pdf()[:4] == b"%PDF"  # printing fires beforeprint: every section unfolds
    assert page.locator("details[open]").count() == page.locator("details").count()
    assert errors == [] and requests == [page_file.as_uri()]
    page.context.close()
