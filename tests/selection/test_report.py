"""The report's structure: static, self-contained, one plot per measured figure. (Tracks playing in a
browser: tests/apps/test_select.py opens a real selection's report in headless Chromium.)"""

import re
import xml.etree.ElementTree as ElementTree

import pytest

from deepchorale.evaluation.reference import REFERENCE_PATH
from deepchorale.selection.leaderboard import guard_rails, rank
from deepchorale.selection.report import ASSETS, judge_band, write_report
from deepchorale.selection.runs import Run
from tests.conftest import REPO


def test_a_report_without_tracks_is_static_and_plots_only_what_was_measured(tmp_path):
    rails = guard_rails(["parallel_fifths", "triad_or_seventh_rate"], (10, 90), REFERENCE_PATH)
    runs = [
        Run(tmp_path / "runs" / "a", {"val/loss": 2.0}, overrides=["model.optimizer.lr=1e-3"]),
        Run(tmp_path / "runs" / "b", {"val/loss": 1.5}, overrides=["model.optimizer.lr=3e-3"]),
        Run(tmp_path / "runs" / "c", None, failure="error: <diverged> & stopped"),
    ]
    entries = rank(runs, "val/loss", "min", rails)
    page = write_report(entries, "val/loss", "min", rails, tmp_path / "out", tracks=10).read_text()

    assert "No ranked run has a track." in page and "<audio" not in page
    assert "by <b>val/loss</b> (minimised)" in page
    assert "error: &lt;diverged&gt; &amp; stopped" in page  # run output is text, never markup
    # Train runs measure no compose metrics: only the criterion has a plot.
    sources = re.findall(r'src="([^"]+)"', page)
    assert sources == [f"{ASSETS}/plot-0-val_loss.svg"]
    svg = ElementTree.parse(tmp_path / "out" / sources[0]).getroot()
    assert svg.tag.endswith("svg") and float(svg.get("width").removesuffix("pt")) > 0
    # Static: no script, nothing fetched from anywhere but the folder beside the page.
    assert "<script" not in page and "http" not in page.replace('xmlns="http', "")
    assert not list((tmp_path / "out").glob(".*partial"))


def test_rails_and_the_judge_score_get_plots_over_bachs_band(tmp_path):
    rails = guard_rails(["parallel_fifths", "parallel_octaves"], (10, 90), REFERENCE_PATH)
    metrics = {"parallel_fifths": 0.02, "parallel_octaves": 0.0}
    entries = rank(
        [Run(tmp_path / "a", {"judge_score": 40.0, "metrics": metrics})], "judge_score", "max", rails
    )
    band = judge_band(REPO / "evaluation" / "judge" / "report.json")
    # The evaluation judge card's 5-95 % band of Bach test scores (evaluation/judge/MODEL_CARD.md).
    assert band.low == pytest.approx(87.30, abs=0.01) and band.high == pytest.approx(99.51, abs=0.01)
    page = write_report(entries, "judge_score", "max", rails, tmp_path / "out", 10, band).read_text()
    assert "parallel_fifths in [0, 0.0101] (Bach p10–p90)" in page
    plots = sorted(p.name for p in (tmp_path / "out" / ASSETS).iterdir())
    assert plots == ["plot-0-judge_score.svg", "plot-1-parallel_fifths.svg", "plot-2-parallel_octaves.svg"]
    # Each band is labelled in its picture (matplotlib writes text as glyph paths plus a comment).
    assert "Bach p10–p90" in (tmp_path / "out" / ASSETS / "plot-1-parallel_fifths.svg").read_text()
    assert "Bach test chorales, 5–95 %" in (tmp_path / "out" / ASSETS / "plot-0-judge_score.svg").read_text()
    assert judge_band(tmp_path / "no_report.json") is None
