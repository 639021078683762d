"""The report opened in headless Chromium: every chart draws, and the console stays clean.

Needs Playwright's Python client and Debian's ``chromium`` (``.ci/run`` installs both);
without them this test fails rather than skips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")


def test_every_chart_renders_without_console_errors(report_path, tmp_path):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "request",
            lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(r.url),
        )
        page.goto(report_path.as_uri(), wait_until="load")
        chart_ids = page.eval_on_selector_all(".chart", "nodes => nodes.map(n => n.id)")
        drawn = page.eval_on_selector_all(
            ".chart", "nodes => nodes.filter(n => n.querySelector('svg.main-svg')).map(n => n.id)"
        )
        screenshot = tmp_path / "report-top.png"
        page.screenshot(path=str(screenshot))
        browser.close()

    if os.environ.get("BENCH_SCREENSHOT_DIR"):
        shutil.copy(screenshot, Path(os.environ["BENCH_SCREENSHOT_DIR"]) / screenshot.name)
    print(f"{len(drawn)} of {len(chart_ids)} charts drawn; screenshot {screenshot}")
    assert len(chart_ids) == 14
    assert drawn == chart_ids
    assert problems == []
    assert screenshot.stat().st_size > 10_000
