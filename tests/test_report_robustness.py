"""The robustness section: accuracy on corrupted test digits by configuration and corruption,
against severity, what augmentation does to it (paired over seeds, and McNemar on the pooled
corrupted sets), the gallery of corruptions, and the leaderboard's corrupted-digit columns.

Runs are made up: a run gets the first ``right`` of its test images right, clean, and a few
fewer on each corrupted set (``_right_on``), so every figure is known in advance.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import fake_record

from bench.measure.stats import Interval, holm, mean_interval, paired_difference
from bench.measurements.robustness import corruptions
from bench.measurements.robustness.charts import MEAN
from bench.measurements.robustness.evaluate import PREDICTED, set_key
from bench.measurements.robustness.report import corruption_gallery, robustness_view
from bench.store import files, results
from bench.store.records import RunRecord
from report import build_report, leaderboard, load_runs, markdown, table_csv
from report.highlights import highlights
from report.leaderboard import shown_columns

N_TEST = 200
LABELS = np.arange(N_TEST) % 10
NAMES = corruptions.names("default")
GEOMETRIC = [n for n in NAMES if corruptions.CORRUPTIONS[n].kind == "geometry"]
SEVERITIES = corruptions.SEVERITIES
CORRUPTED_HEADERS = {"corrupted acc", "corrupted 95%", "error ratio"}


def _right_on(right: int, name: str, severity: int) -> int:
    """How many test images a run that gets ``right`` clean ones gets right on a set."""
    return max(0, right - 8 * severity - NAMES.index(name))


def _predicted(right: int) -> np.ndarray:
    """Predicted classes that get exactly the first ``right`` test images right."""
    return np.where(np.arange(N_TEST) < right, LABELS, (LABELS + 1) % 10).astype(np.uint8)


def _write_run(
    root: Path,
    arch: str,
    augment: bool,
    seed: int,
    right: int,
    corrupted: bool = True,
    dataset: str = "mnist",
    sets: tuple[str, ...] = NAMES,
) -> RunRecord:
    """A finished run folder (profile standard): its record, its test predictions and, when
    ``corrupted``, its accuracy and predictions on the corrupted ``sets``."""
    record = fake_record(arch, augment)
    record["spec"].update(seed=seed, profile="standard", dataset=dataset)
    record["run_id"] = f"{dataset}-standard-{arch}-{'aug' if augment else 'noaug'}-s{seed}"
    record["metrics"]["test_accuracy"] = right / N_TEST
    # what a page's per-run detail reads
    record["confusion_matrix"] = np.diag(np.bincount(LABELS)).tolist()
    record["per_class"] = {"precision": [1.0] * 10, "recall": [1.0] * 10, "f1": [1.0] * 10}
    record["per_class"]["support"] = np.bincount(LABELS).tolist()
    folder = root / record["run_id"]
    folder.mkdir(parents=True)
    probabilities = np.full((N_TEST, 10), 0.1, np.float32)
    np.savez(
        folder / results.PREDICTIONS,
        y_true=LABELS,
        y_pred=_predicted(right),
        probabilities=probabilities,
    )
    if corrupted:
        counts = {(n, s): _right_on(right, n, s) for n in sets for s in SEVERITIES}
        record["robustness"] = {
            "accuracy": {n: {str(s): counts[n, s] / N_TEST for s in SEVERITIES} for n in sets},
            "clean_accuracy": right / N_TEST,
            "images": N_TEST,
        }
        predicted = {set_key(n, s): _predicted(k) for (n, s), k in counts.items()}
        sampled = {"indices": np.arange(N_TEST), "y_true": LABELS}
        np.savez(folder / PREDICTED, **sampled, **predicted)
    files.write_json(folder / results.RECORD, record)
    return RunRecord.from_json(record)


# (architecture, augmentation, images right per seed 0, 1, 2)
SUITE = [
    ("a", False, (180, 182, 181)),
    ("a", True, (186, 190, 187)),
    ("b", False, (170, 175, 172)),
    ("b", True, (171, 173, 176)),
]


def _suite(root: Path, dataset: str = "mnist") -> Path:
    for arch, augment, rights in SUITE:
        for seed, right in enumerate(rights):
            _write_run(root, arch, augment, seed, right, dataset=dataset)
    return root


def _view(root: Path, splits=lambda record: "the images were not reloaded"):
    frame, runs = load_runs(root)
    return robustness_view(runs, frame, splits)


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    return _suite(tmp_path_factory.mktemp("robust") / "results")


@pytest.fixture(scope="module")
def view(suite):
    return _view(suite)


def test_runs_without_corrupted_digits_give_no_section_and_no_corrupted_columns(tmp_path):
    _write_run(tmp_path, "a", False, 0, 180, corrupted=False)
    _write_run(tmp_path, "a", True, 0, 186, corrupted=False)
    assert _view(tmp_path) is None
    html = build_report(tmp_path, tmp_path / "report.html").read_text()
    assert 'id="robustness"' not in html and 'href="#robustness"' not in html
    assert "corrupted acc" not in html and "Most accurate on corrupted digits" not in html


def test_the_heatmap_has_a_row_per_architecture_and_augmentation_and_a_column_per_corruption(
    view,
):
    (heatmap,) = view.heatmap.data
    assert list(heatmap.y) == ["a (no aug)", "a (aug)", "b (no aug)", "b (aug)"]
    assert list(heatmap.x) == [*NAMES, MEAN]
    assert np.asarray(heatmap.z).shape == (4, len(NAMES) + 1)


def test_the_heatmaps_cells_are_the_accuracy_in_percent_averaged_over_severities_and_seeds(
    view,
):
    (heatmap,) = view.heatmap.data
    rights = SUITE[0][2]  # a, augmentation off
    rotate = np.mean([_right_on(r, "rotate", s) for r in rights for s in SEVERITIES])
    assert heatmap.z[0][0] == pytest.approx(100 * rotate / N_TEST)
    assert heatmap.text[0][0] == f"{100 * rotate / N_TEST:.1f}"


def test_the_severity_chart_has_a_plot_per_geometric_corruption_from_clean_to_severity_3(view):
    titles = [note.text for note in view.severity.layout.annotations]
    assert titles == GEOMETRIC
    assert len(view.severity.data) == len(GEOMETRIC) * len(SUITE)  # a line per configuration
    assert all(list(line.x) == [0, 1, 2, 3] for line in view.severity.data)
    assert sum(line.showlegend for line in view.severity.data) == len(SUITE)


def test_the_effect_on_corrupted_accuracy_is_the_paired_difference_over_three_seeds(suite, view):
    (effect_a, _) = view.effects
    on, off = ({r.spec.seed: r for r in _records(suite, "a", augment)} for augment in (True, False))
    expected = paired_difference(
        [on[s].section("robustness").mean_accuracy for s in range(3)],
        [off[s].section("robustness").mean_accuracy for s in range(3)],
    )
    assert effect_a.arch == "a"
    assert _figures(effect_a.corrupted) == pytest.approx(_figures(expected))
    assert effect_a.corrupted.n == 3 and effect_a.note == ""


def test_the_effect_on_clean_accuracy_stands_beside_it_over_the_same_seeds(view):
    (effect_a, _) = view.effects
    clean_on, clean_off = SUITE[1][2], SUITE[0][2]
    expected = paired_difference([r / N_TEST for r in clean_on], [r / N_TEST for r in clean_off])
    assert _figures(effect_a.clean) == pytest.approx(_figures(expected))


def test_one_paired_seed_gives_no_interval_and_says_so(tmp_path):
    _write_run(tmp_path, "a", False, 0, 180)
    _write_run(tmp_path, "a", True, 0, 186)
    _write_run(tmp_path, "a", True, 1, 188)  # no run without augmentation to pair it with
    (effect,) = _view(tmp_path).effects
    assert effect.corrupted.n == 1 and np.isnan(effect.corrupted.low)
    assert effect.note == "one paired seed: no interval"


def test_mcnemar_compares_augmentation_on_and_off_for_each_architecture_run_both_ways(tmp_path):
    _suite(tmp_path)
    _write_run(tmp_path, "c", False, 0, 150)  # never run with augmentation: not compared
    tests = _view(tmp_path).tests
    assert [test.arch for test in tests] == ["a", "b"]
    pair = tests[0].comparison
    assert pair.a == "a with augmentation" and pair.seeds == (0, 1, 2)
    # nested right answers: on each set, augmentation gets its extra images right, no fewer
    seed_0 = sum(_right_on(186, n, s) - _right_on(180, n, s) for n in NAMES for s in SEVERITIES)
    assert (pair.tests[0].only_a, pair.tests[0].only_b) == (seed_0, 0)


def test_the_mcnemar_p_values_are_holm_adjusted_over_the_architectures(view):
    raw = [test.comparison.p_value for test in view.tests]
    assert [test.comparison.p_adjusted for test in view.tests] == pytest.approx(holm(raw))


def test_a_run_without_every_default_corrupted_set_is_left_out_of_mcnemar(tmp_path):
    _write_run(tmp_path, "a", False, 0, 180)
    _write_run(tmp_path, "a", True, 0, 186, sets=NAMES[:-1])
    assert _view(tmp_path).tests == []


def test_the_leaderboard_gains_the_corrupted_columns_only_when_runs_have_them(suite, tmp_path):
    _write_run(tmp_path, "a", False, 0, 180, corrupted=False)
    without = leaderboard(results.load(tmp_path))
    assert not CORRUPTED_HEADERS & {c.header for c in shown_columns(without)}
    assert "corrupted" not in markdown(without) and "corruption" not in table_csv(without)

    board = leaderboard(results.load(suite))
    assert {c.header for c in shown_columns(board)} >= CORRUPTED_HEADERS
    header = markdown(board).splitlines()[0]
    assert " corrupted acc " in header and " error ratio " in header
    csv = pd.read_csv(io.StringIO(table_csv(board)))
    for column in ("corruption_accuracy", "corruption_error_ratio", "corruption_interval_low"):
        assert column in csv


def test_the_corrupted_accuracy_shows_by_default_its_interval_and_error_ratio_on_request(suite):
    board = leaderboard(results.load(suite))
    more = {c.header: c.more for c in shown_columns(board) if c.header in CORRUPTED_HEADERS}
    # the leaderboard still fits a 1400-pixel window with the int8 columns beside
    assert more == {"corrupted acc": False, "corrupted 95%": True, "error ratio": True}


def test_corrupted_accuracy_on_the_leaderboard_is_the_mean_over_seeds_with_its_interval(suite):
    board = leaderboard(results.load(suite))
    row = board[(board["arch"] == "a") & ~board["augment"]].iloc[0]
    records = _records(suite, "a", False)
    expected = mean_interval([r.section("robustness").mean_accuracy for r in records])
    assert row["corruption_accuracy"] == pytest.approx(expected.mean)
    assert row["corruption_interval"] == pytest.approx((expected.low, expected.high))
    ratios = [r.section("robustness").error_ratio for r in records]
    assert row["corruption_error_ratio"] == pytest.approx(np.mean(ratios))


def test_the_highlights_name_the_most_accurate_configuration_on_corrupted_digits(suite):
    lines = highlights(leaderboard(results.load(suite)))
    assert any(
        line.startswith("Most accurate on corrupted digits: a (augmentation on)") for line in lines
    )


def test_the_gallery_shows_the_digit_clean_and_at_every_severity_of_every_corruption(
    digits_splits,
):
    rows, note, label = corruption_gallery(digits_splits, list(NAMES), seed=0)
    assert note == "" and label == 3
    assert [row.name for row in rows] == list(NAMES)
    images = [src for row in rows for src, _ in row.images]
    assert len(images) == len(NAMES) * (len(SEVERITIES) + 1)
    assert all(src.startswith("data:image/png;base64,") for src in images)
    rotate = rows[0]
    assert [caption for _, caption in rotate.images] == ["clean", "15", "30", "45"]
    assert (rotate.kind, rotate.unit) == ("geometry", "degrees")


def test_without_the_test_images_the_gallery_is_left_out_and_says_why(view):
    assert view.gallery == [] and view.gallery_note == "the images were not reloaded"


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    """The page of a made-up suite on scikit-learn's digits, whose images the report reloads."""
    root = _suite(tmp_path_factory.mktemp("page") / "results", dataset="digits")
    return build_report(root, root / "report.html").read_text()


def test_a_page_over_runs_with_corrupted_digits_has_the_section_after_deployment(page):
    assert 'href="#robustness">Robustness</a>' in page
    assert (
        page.index('id="deployment"') < page.index('id="robustness"') < page.index('id="latency"')
    )
    for chart in ("chart-robustness", "chart-robustness-severity"):
        assert f'id="{chart}"' in page and f'data-target="{chart}"' in page
    assert 'id="robustness-effect-table"' in page and 'id="robustness-mcnemar-table"' in page
    assert ">cor\u00adrupted acc<" in page and ">error ratio<" in page  # may break at the hyphen


def test_the_pages_gallery_has_an_image_per_corruption_and_severity_and_the_clean_one(page):
    gallery = page.split('id="corruption-gallery"', 1)[1].split("</table>", 1)[0]
    assert gallery.count("<img ") == len(NAMES) * (len(SEVERITIES) + 1)


def _figures(interval: Interval) -> tuple[float, float, float, int]:
    return interval.mean, interval.low, interval.high, interval.n


def _records(root: Path, arch: str, augment: bool) -> list[RunRecord]:
    """The runs of ``arch`` with or without augmentation under ``root``, by seed."""
    _, runs = load_runs(root)
    return sorted(
        (r for _, r in runs if r.spec.arch == arch and r.spec.augment == augment),
        key=lambda r: r.spec.seed,
    )
