"""The README's pictures of the report, taken the way a reader sees it: the page built from
a results folder, opened in Chromium at a laptop's window size, one screen or one section.

    python -m report.screenshot --results results/reference/standard-suite/runs \\
        --out docs/report.png
    python -m report.screenshot --results results/reference/quick/runs --section deployment \\
        --out docs/deployment.png

Needs Playwright's Python client and a Chromium (``BENCH_CHROMIUM``, else
``/usr/bin/chromium``), as the report's browser test does.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from report.build import build_report

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
WINDOW = {"width": 1400, "height": 900}


def screenshot(results: Path, out: Path, section: str | None = None) -> Path:
    """A PNG of the page built from ``results``: its first screen, or the section whose id is
    ``section``, once every chart is drawn."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        page_path = build_report(results, Path(scratch) / "report.html")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport=WINDOW)
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_function(
                "[...document.querySelectorAll('.chart')].every(c => c.querySelector('svg'))"
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            if section is None:
                page.screenshot(path=str(out))
            else:
                page.locator(f"#{section}").screenshot(path=str(out))
            browser.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True, help="a folder of runs")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--section", help="a section's id (deployment, robustness, ...)")
    args = parser.parse_args(argv)
    print(screenshot(args.results, args.out, args.section))


if __name__ == "__main__":
    main()
