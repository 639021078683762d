"""The report opened in headless Chromium: every chart draws, the console stays clean, and
at a 1400-pixel window the leaderboard fits, no chart text overlaps and the toolbar leaves
titles clear. The layout checks look at the committed reference runs (five networks, three
seeds: what a real suite shows), given made-up LiteRT exports for the deployment view, and at
the tiny smoke suite.

Needs Playwright's Python client and Debian's ``chromium`` (``.ci/run`` installs both);
without them this test fails rather than skips.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import add_fake_exports, built_once
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("BENCH_CHROMIUM", "/usr/bin/chromium")
REFERENCE_RUNS = Path(__file__).parents[1] / "results" / "reference" / "plateau" / "runs"
WINDOW = {"width": 1400, "height": 1000}


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
    assert len(chart_ids) == 14 + ("chart-deployment" in chart_ids)  # with exports recorded
    assert drawn == chart_ids
    assert problems == []
    assert screenshot.stat().st_size > 10_000


@pytest.fixture(scope="module")
def reference_report(tmp_path_factory):
    """The report of the committed reference runs, with made-up exports (alexnet_style's
    dynamic-range int8 failed): no training needed."""
    from report import build_report

    def build(root: Path) -> None:
        shutil.copytree(REFERENCE_RUNS, root / "runs")
        add_fake_exports(root / "runs", failed=("alexnet_style", "dynamic_int8"))
        build_report(root / "runs", root / "report.html")

    return built_once(tmp_path_factory, "reference_report", build) / "report.html"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def opened(browser, reference_report, report_path):
    """Each report opened once, for the tests that only read it."""
    pages = {"reference": _open(browser, reference_report), "smoke": _open(browser, report_path)}
    yield pages
    for page in pages.values():
        page.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport=WINDOW)
    page.goto(path.as_uri(), wait_until="load")
    return page


def _screenshot(page, name: str, selector: str) -> None:
    if os.environ.get("BENCH_SCREENSHOT_DIR"):
        target = Path(os.environ["BENCH_SCREENSHOT_DIR"]) / name
        page.locator(selector).first.screenshot(path=str(target))


LEADERBOARD = """() => {
  const box = document.querySelector("#leaderboard .scroll");
  const first = document.querySelector("#leaderboard-table th");
  const shown = [...document.querySelectorAll("#leaderboard-table th")]
    .filter(th => getComputedStyle(th).display !== "none").length;
  return {scroll: box.scrollWidth, client: box.clientWidth, shown: shown,
          boxLeft: box.getBoundingClientRect().left, firstLeft: first.getBoundingClientRect().left};
}"""


@pytest.mark.parametrize("which", ["reference", "smoke"])
def test_the_leaderboard_fits_the_page_until_more_columns_are_asked_for(
    which, browser, reference_report, report_path
):
    page = _open(browser, reference_report if which == "reference" else report_path)
    before = page.evaluate(LEADERBOARD)
    _screenshot(page, f"leaderboard-{which}.png", "#leaderboard")
    assert before["scroll"] <= before["client"], before

    page.click("#more-columns")
    page.evaluate("document.querySelector('#leaderboard .scroll').scrollLeft = 100000")
    after = page.evaluate(LEADERBOARD)
    _screenshot(page, f"leaderboard-{which}-more.png", "#leaderboard")
    page.close()
    assert after["shown"] > before["shown"]
    # however wide it gets, the architecture column stays in view
    assert abs(after["firstLeft"] - after["boxLeft"]) < 1, after


# Every visible text of a chart (ticks, titles, legend, labels), its plot area and its box.
TEXTS = """(id) => {
  const chart = document.getElementById(id);
  const boxes = [...chart.querySelectorAll("svg text")]
    .filter(t => t.textContent.trim() && getComputedStyle(t).display !== "none")
    .map(t => { const r = t.getBoundingClientRect();
                return {text: t.textContent, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom,
                        label: !!t.closest(".textpoint")}; })
    .filter(b => b.x1 > b.x0);
  const r = chart.querySelector(".nsewdrag").getBoundingClientRect();
  const c = chart.getBoundingClientRect();
  return {boxes: boxes, plot: {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom},
          chart: {x0: c.left, y0: c.top, x1: c.right, y1: c.bottom}};
}"""


# Every folded section opened, and each chart drawn while it was closed (at no width) drawn
# again; done when Plotly's promises say so, not after a guessed wait.
OPEN_AND_REDRAW = """async () => {
  document.querySelectorAll("details").forEach(d => d.open = true);
  const charts = [...document.querySelectorAll(".js-plotly-plot")];
  await Promise.all(charts.map(chart => Plotly.Plots.resize(chart)));
}"""


def _overlapping(boxes: list[dict], slack: float = 1.0) -> list[tuple[str, str]]:
    return [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
        and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > slack
    ]


@pytest.mark.parametrize("which", ["reference", "smoke"])
def test_no_chart_has_overlapping_texts_labels_outside_its_plot_or_text_cut_off(
    which, browser, reference_report, report_path
):
    page = _open(browser, reference_report if which == "reference" else report_path)
    page.evaluate(OPEN_AND_REDRAW)
    charts = page.eval_on_selector_all(".chart", "nodes => nodes.map(n => n.id)")
    found = {chart: page.evaluate(TEXTS, chart) for chart in charts}
    for chart in ("chart-pareto", "chart-augment", "chart-time", "chart-pixels"):
        _screenshot(page, f"{chart}-{which}.png", f"#{chart}")
    page.close()
    assert len(charts) >= 14
    for chart, texts in found.items():
        box = texts["chart"]
        cut = [b["text"] for b in texts["boxes"] if b["x0"] < box["x0"] or b["x1"] > box["x1"]]
        assert cut == [], chart
        _assert_apart_and_inside(texts, chart)


def _assert_apart_and_inside(found: dict, chart: str = "") -> None:
    assert _overlapping(found["boxes"]) == [], chart
    plot = found["plot"]
    for label in (b for b in found["boxes"] if b["label"]):
        inside = plot["x0"] <= label["x0"] and label["x1"] <= plot["x1"]
        assert inside and plot["y0"] <= label["y0"] and label["y1"] <= plot["y1"], (chart, label)


PICKS = """() => {
  const picks = document.querySelector("#picks-table").getBoundingClientRect();
  const board = document.querySelector("#leaderboard-table").getBoundingClientRect();
  return {above: picks.bottom <= board.top, right: picks.right,
          page: document.querySelector("main").getBoundingClientRect().right,
          rows: document.querySelectorAll("#picks-table tbody tr").length};
}"""


def test_which_to_pick_stands_above_the_leaderboard_within_the_page(opened):
    found = opened["reference"].evaluate(PICKS)
    assert found["above"] and found["right"] <= found["page"], found
    assert found["rows"] >= 3  # accuracy, training time, and the budgets of the exports


def test_the_deployment_chart_labels_its_networks_and_budget_lines_without_overlaps(opened):
    page = opened["reference"]
    found = page.evaluate(TEXTS, "chart-deployment")
    lines = page.eval_on_selector_all("#chart-deployment .shapelayer path", "nodes => nodes.length")
    budgets = page.eval_on_selector_all(
        "#budget-table tbody tr",
        "rows => rows.map(r => r.cells[0].textContent + ' ' + r.cells[1].textContent)",
    )
    _screenshot(page, "chart-deployment-reference.png", "#chart-deployment")
    _screenshot(page, "deployment-reference.png", "#deployment")
    _assert_apart_and_inside(found)
    texts = {box["text"] for box in found["boxes"]}
    assert {"256 KB flash", "1 MB flash", "lenet5", "vgg_lite", "alexnet_style"} <= texts
    assert lines >= 2
    assert budgets == ["64 KB 16 KB", "256 KB 64 KB", "1 MB 320 KB", "2 MB 512 KB"]


def test_the_toolbar_leaves_the_confusion_matrix_title_clear(browser, report_path):
    page = _open(browser, report_path)
    chart = page.locator("details[open] .chart").first
    chart.hover()
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('details[open] .modebar')).opacity > 0.9"
    )
    boxes = [
        page.locator(f"details[open] {selector}").first.bounding_box()
        for selector in (".modebar", ".gtitle", ".gtitle-subtitle")
    ]
    _screenshot(page, "confusion.png", "details[open] .chart")
    page.close()
    toolbar, *titles = boxes
    for title in titles:
        apart_across = title["x"] + title["width"] <= toolbar["x"]
        apart_down = title["y"] >= toolbar["y"] + toolbar["height"]
        assert apart_across or apart_down, (toolbar, title)
