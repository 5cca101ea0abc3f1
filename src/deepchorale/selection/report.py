"""`report.html`: one static page per selection, to listen to and compare the ranked tracks.

It holds the configurations (runs of one setting) with their confidence intervals and the Pareto
front of the criterion against select's `pareto` figures, the leaderboard of runs, an HTML5 audio
player and the piano roll of each of the best ranked tracks, and one plot per measured figure
(the criterion and every guard-rail metric): each ranked
run's value (the best PLOTTED_RUNS) over the band of real Bach. Everything it shows is copied into
`report_files/` beside it, so the folder can be zipped, mailed or served by anything, and opened
with no server at all.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

from matplotlib.figure import Figure

from deepchorale.atomic import write_text
from deepchorale.selection.leaderboard import METRICS_KEY, Entry, Rail, track_folder

ASSETS = "report_files"
JUDGE_KEY = "judge_score"  # compose's grade by the evaluation judge
# apps/select.py's configuration columns; the others are the criterion's mean and the traded figures
CONFIGURATION_COLUMNS = {"config", "overrides", "runs", "tracks", "low", "high", "pareto", "breaks",
                         "first run"}  # fmt: skip
PLOTTED_RUNS = 50  # the best ranked runs in each plot: a search's hundreds of trials would not read
INSIDE, OUTSIDE, NEUTRAL = "#2e7d32", "#c62828", "#1f3b73"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; }
td.breaks { color: #c62828; min-width: 18em; }
.track { margin: 1.5em 0; }
.track img { max-width: 100%; display: block; margin-top: 0.5em; }
.plots img { max-width: 100%; margin: 0.5em 0; display: block; }
"""


def label(entry: Entry, width: int = 42) -> str:
    text = f"#{entry.rank} {entry.varied or entry.name}"
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_figure(entries: list[Entry], values: list[float | None], title: str, band: Rail | None, path: Path):
    """A dot per ranked run, best at the top, over Bach's band where there is one."""
    figure = Figure(figsize=(7.5, 1.2 + 0.32 * len(entries)), layout="constrained")
    axes = figure.subplots()
    positions = list(range(len(entries)))[::-1]
    if band is not None and band.high > band.low:
        axes.axvspan(band.low, band.high, color=INSIDE, alpha=0.15, label=band.label)
    elif band is not None:  # a band of one value (Bach's p10 and p90 parallel octaves are both 0)
        axes.axvline(band.low, color=INSIDE, alpha=0.4, linewidth=4, label=band.label)
    for y, value in zip(positions, values):
        if value is None:
            continue
        color = NEUTRAL if band is None else (INSIDE if band.breach(value) is None else OUTSIDE)
        axes.plot([value], [y], "o", color=color, markersize=7)
    # Labels are run names and overrides, never TeX: `$x^{$` would stop matplotlib's mathtext parser.
    axes.set_yticks(positions, [label(entry) for entry in entries], fontsize=8, parse_math=False)
    axes.set_ylim(-0.7, len(entries) - 0.3)
    axes.set_title(title, fontsize=10, parse_math=False)
    axes.grid(axis="x", alpha=0.3)
    if band is not None:
        axes.legend(loc="best", fontsize=8)
    figure.savefig(path, format="svg", metadata={"Date": None})  # no date: the same runs, the same file


def plots(
    ranked: list[Entry], key: str, rails: list[Rail], criterion_band: Rail | None, folder: Path
) -> list[str]:
    """The criterion's plot, then one per guard-rail metric; returns their names in `folder`."""
    rail_of_key = next((rail for rail in rails if key == f"{METRICS_KEY}.{rail.metric}"), None)
    figures = [(key, [e.score for e in ranked], f"{key} (criterion)", criterion_band or rail_of_key)]
    figures += [
        (rail.metric, [e.rail_values.get(rail.metric) for e in ranked], rail.metric, rail) for rail in rails
    ]
    names = []
    for index, (name, values, title, band) in enumerate(figures):
        if all(value is None for value in values):
            continue  # nothing measured it (a guard-rail over train runs)
        file = f"plot-{index}-{''.join(c if c.isalnum() else '_' for c in name)}.svg"
        plot_figure(ranked, values, title, band, folder / file)
        names.append(file)
    return names


def copy_track(entry: Entry, folder: Path) -> tuple[str | None, str | None]:
    """The track's audio (FLAC, else WAV) and piano roll, copied into `folder`; names or None."""
    track = track_folder(entry.run)
    if track is None:
        return None, None
    audio = sorted(track.glob("*.flac")) or sorted(track.glob("*.wav"))
    copied_audio = f"track-{entry.rank}{audio[0].suffix}"
    shutil.copy2(audio[0], folder / copied_audio)
    roll = track / "pianoroll.png"
    copied_roll = None
    if roll.is_file():
        copied_roll = f"pianoroll-{entry.rank}.png"
        shutil.copy2(roll, folder / copied_roll)
    return copied_audio, copied_roll


def number(value) -> str:
    return "" if value is None else f"{value:.4g}" if isinstance(value, float) else html.escape(str(value))


def leaderboard_table(entries: list[Entry], key: str, rails: list[Rail]) -> str:
    header = ["rank", "run", "overrides", "status", key, *(rail.metric for rail in rails), "breaks", "note"]
    lines = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for entry in entries:
        cells = [
            number(entry.rank),
            html.escape(entry.name),
            html.escape(entry.varied),
            entry.status,
            number(entry.score),
            *(number(entry.rail_values.get(rail.metric)) for rail in rails),
        ]
        row = "".join(f"<td>{cell}</td>" for cell in cells)
        row += f'<td class="breaks">{html.escape("; ".join(entry.breaches))}</td>'
        row += f"<td>{html.escape(entry.note)}</td>"
        lines.append(f"<tr>{row}</tr>")
    return "\n".join([*lines, "</table>"])


def configurations_table(configuration_rows: list[dict]) -> str:
    """The configurations, best first, each with its interval as [low, high] (unbounded: one track)."""
    header = [name for name in configuration_rows[0] if name not in ("low", "high")]
    header.insert(header.index("pareto"), "interval")
    lines = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr>"]
    for row in configuration_rows:
        low, high = row["low"], row["high"]
        interval = f"[{number(low)}, {number(high)}]" if low is not None else "none: one track"
        shown = {**row, "interval": interval, "pareto": "yes" if row["pareto"] else ""}
        lines.append("<tr>" + "".join(f"<td>{number(shown[name])}</td>" for name in header) + "</tr>")
    return "\n".join([*lines, "</table>"])


def pareto_plot(configuration_rows: list[dict], key: str, figure: str, path: Path) -> None:
    """Each configuration's criterion against one traded figure, the front's points marked."""
    plot = Figure(figsize=(6.5, 4.5), layout="constrained")
    axes = plot.subplots()
    for row in configuration_rows:
        if row.get(figure) is None:
            continue
        mean, low, high = row[f"{key} mean"], row["low"], row["high"]
        errors = [[mean - low], [high - mean]] if low is not None else None
        color = INSIDE if row["pareto"] else NEUTRAL
        axes.errorbar([row[figure]], [mean], yerr=errors, fmt="o", color=color, capsize=3)
        axes.annotate(str(row["config"]), (row[figure], mean), xytext=(4, 4), textcoords="offset points",
                      fontsize=8)  # fmt: skip
    axes.set_xlabel(figure, parse_math=False)
    axes.set_ylabel(f"{key} (mean, interval)", parse_math=False)
    axes.set_title("configurations; green: the Pareto front", fontsize=10)
    axes.grid(alpha=0.3)
    plot.savefig(path, format="svg", metadata={"Date": None})


def judge_band(judge_report: str | Path) -> Rail | None:
    """Real Bach's scores by the evaluation judge (its report on the Bach test chorales: 5 % and 95 %
    quantiles), to plot compose's judge_score against; None when there is no such report."""
    path = Path(judge_report)
    if not path.is_file():
        return None
    quantiles = json.loads(path.read_text())["bach_test_judge_score"]["quantiles"]
    return Rail(JUDGE_KEY, quantiles["0.05"], quantiles["0.95"], "Bach test chorales, 5–95 %")


def write_report(
    entries: list[Entry],
    key: str,
    mode: str,
    rails: list[Rail],
    output_dir: Path,
    tracks: int,
    criterion_band: Rail | None = None,
    configuration_rows: list[dict] | None = None,
    level: float = 0.9,
) -> Path:
    """Write `report.html` and its `report_files/` into `output_dir`; the best `tracks` ranked runs
    with audio get a player and their piano roll. `criterion_band` is a band of real Bach for the
    criterion where it is no guard-rail metric (`judge_band` for the judge score).
    `configuration_rows` (apps/select.py) are the configurations with their `level` intervals."""
    configuration_rows = configuration_rows or []
    traded = [name for name in (configuration_rows[0] if configuration_rows else {})
              if name not in CONFIGURATION_COLUMNS and not name.endswith(" mean")]  # fmt: skip
    ranked = [entry for entry in entries if entry.status == "ranked"]
    assets = output_dir / ASSETS
    staging = output_dir / f".{ASSETS}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        sections = []
        for entry in ranked:
            if len(sections) >= tracks:
                break
            audio, roll = copy_track(entry, staging)
            if audio is None:
                continue
            heading = f"{html.escape(label(entry, 200))} — {html.escape(key)} {number(entry.score)}"
            breaks = f"<p>breaks: {html.escape('; '.join(entry.breaches))}</p>" if entry.breaches else ""
            image = f'<img src="{ASSETS}/{roll}" alt="piano roll of #{entry.rank}">' if roll else ""
            sections.append(
                f'<div class="track"><h3>{heading}</h3>{breaks}'
                f'<audio controls preload="metadata" src="{ASSETS}/{audio}"></audio>{image}</div>'
            )
        figures = plots(ranked[:PLOTTED_RUNS], key, rails, criterion_band, staging)
        pareto_figures = []
        for index, figure in enumerate(traded):
            if any(row.get(figure) is not None for row in configuration_rows):
                pareto_figures.append(f"pareto-{index}.svg")
                pareto_plot(configuration_rows, key, figure, staging / pareto_figures[-1])
        shutil.rmtree(assets, ignore_errors=True)
        staging.rename(assets)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    rails_text = "; ".join(f"{r.metric} in [{r.low:.3g}, {r.high:.3g}] ({r.label})" for r in rails) or "none"
    plot_tags = "".join(f'<img src="{ASSETS}/{name}" alt="{html.escape(name)}">' for name in figures)
    front = [row for row in configuration_rows if row["pareto"]]
    if front:
        pareto_section = (
            f"<p>{len(front)} configurations that no other beats in {html.escape(key)} and "
            f"{html.escape(', '.join(traded))} at once.</p>" + configurations_table(front)
            + "".join(f'<img src="{ASSETS}/{name}" alt="Pareto front">' for name in pareto_figures)
        )  # fmt: skip
    else:
        pareto_section = "<p>No configuration measured the traded figures (select's <code>pareto</code>).</p>"
    configuration_section = configurations_table(configuration_rows) if configuration_rows else ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>deepchorale selection</title><style>{STYLE}</style></head>
<body>
<h1>deepchorale selection</h1>
<p>{len(ranked)} ranked of {len(entries)} runs by <b>{html.escape(key)}</b> ({mode}imised).
Guard-rails: {html.escape(rails_text)};
runs that break one rank after those that break none.</p>
<h2>Configurations</h2>
<p>Runs of one setting (their config but for seed and melody) ranked together, by the
{"lower" if mode == "max" else "upper"} end of the {level:.0%} bootstrap interval of their tracks' mean:
a setting measured on one track has no interval and ranks after those measured on more.</p>
{configuration_section}
<h2>Pareto front</h2>
{pareto_section}
<h2>Leaderboard</h2>
{leaderboard_table(entries, key, rails)}
<h2>Tracks</h2>
{"".join(sections) or "<p>No ranked run has a track.</p>"}
<h2>Against Bach</h2>
<div class="plots">{plot_tags}</div>
</body></html>
"""
    return write_text(output_dir / "report.html", page)
