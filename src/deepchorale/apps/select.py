"""`deepchorale select runs=<dir or glob>`: rank runs, export the winner, write the report.

Output, in the run dir: the leaderboard in the terminal and as `leaderboard.csv` / `leaderboard.json`
(runs grouped by configuration, each with its configuration's interval), the configurations on
their own in `configurations.json`, the best track of the best configuration (or of the one
`export` names) as the submission bundle `<fullname>-<company>-<genre>/` (audio, MIDI, MusicXML,
piano roll, its results.json and config.yaml), `report.html` with `report_files/`, and
`results.json` (the winner, the criterion, counts). No runs, an unknown criterion key or guard-rail
metric: one line on stderr, exit status 2, nothing but config.yaml written.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf

from deepchorale.apps.runner import UserInputError, hydra_app
from deepchorale.atomic import write_json, write_text
from deepchorale.run_records import BundleNameError, bundle_name


def show(table_rows: list[dict], key: str, rail_metrics: list[str], columns: list[str]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"leaderboard by {key}")
    shown = ["rank", "run", "overrides", *columns, key, *rail_metrics, "breaks", "note"]
    for name in shown:
        table.add_column(name, overflow="fold")
    for row in table_rows:
        cells = [row.get(name) for name in shown]
        # Text as it stands: an override like `x=[/b]` is no markup of rich's.
        table.add_row(
            *("" if c is None else f"{c:.4g}" if isinstance(c, float) else escape(str(c)) for c in cells)
        )
    # Piped or captured output gets a wide table rather than rich's 80 columns; a terminal its own width.
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def configuration_rows(entries, key: str, tradeoffs: dict[str, str], mode: str) -> list[dict]:
    """The configurations, best first: their interval, runs, label and place on the Pareto front."""
    from deepchorale.selection.leaderboard import configurations, figure_mean, finite, pareto_front

    found = configurations(entries)
    front = {id(configuration) for configuration, _ in pareto_front(found, tradeoffs, mode)}
    return [
        {
            "config": configuration.rank,
            "overrides": configuration.label,
            "runs": len(configuration.entries),
            "tracks": configuration.estimate.count,
            f"{key} mean": configuration.estimate.value,
            "low": finite(configuration.estimate.low),
            "high": finite(configuration.estimate.high),
            "pareto": id(configuration) in front,
            **{figure: figure_mean(configuration, figure) for figure in tradeoffs},
            "breaks": "; ".join(configuration.breaches),
            "first run": configuration.entries[0].name,
        }
        for configuration in found
    ]


def show_configurations(configuration_rows: list[dict], level: float) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"configurations by the lower end of their {level:.0%} interval")
    for name in configuration_rows[0]:
        table.add_column(name, overflow="fold")
    for row in configuration_rows:
        table.add_row(*("" if c is None else f"{c:.4g}" if isinstance(c, float) else escape(str(c))
                        for c in row.values()))  # fmt: skip
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def to_csv(table_rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table_rows[0]))
    writer.writeheader()
    writer.writerows(table_rows)
    return buffer.getvalue()


@hydra_app("select")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    from deepchorale.selection.leaderboard import guard_rails, rank, rows, winner
    from deepchorale.selection.report import JUDGE_KEY, judge_band, write_report  # see `deepchorale.apps`
    from deepchorale.selection.runs import SelectionError, find_runs
    from deepchorale.selection.submission import export_submission

    runs = list(cfg.runs) if isinstance(cfg.runs, ListConfig) else str(cfg.runs)
    key, mode = str(cfg.criterion.key), str(cfg.criterion.mode)
    level = cfg.criterion.level
    columns = [str(column) for column in cfg.columns]
    tradeoffs = {str(figure): str(direction) for figure, direction in cfg.pareto.items()}
    try:
        if any(direction not in ("max", "min") for direction in tradeoffs.values()):
            raise SelectionError(f"pareto={tradeoffs}: each figure's direction is max or min")
        if not isinstance(level, float) or not 0 < level < 1:
            raise SelectionError(f"criterion.level={level!r}: a confidence level between 0 and 1")
        name = bundle_name(cfg.bundle.fullname, cfg.bundle.company, cfg.bundle.genre)
        rails = guard_rails(
            list(cfg.guard_rails.metrics), tuple(cfg.guard_rails.percentiles), cfg.guard_rails.reference
        )
        entries = rank(find_runs(runs), key, mode, rails, level)
        chosen = winner(entries, key, mode, None if cfg.export is None else str(cfg.export))
    except (BundleNameError, SelectionError) as error:
        raise UserInputError(str(error)) from error

    table_rows = rows(entries, key, rails, columns)
    show(table_rows, key, [rail.metric for rail in rails], columns)
    write_text(output_dir / "leaderboard.csv", to_csv(table_rows))
    write_json(output_dir / "leaderboard.json", table_rows)
    found = configuration_rows(entries, key, tradeoffs, mode)
    show_configurations(found, level)
    write_json(output_dir / "configurations.json", found)

    best = chosen.configuration
    bundle = export_submission(chosen, output_dir, name)
    interval = f"{level:.0%} CI {best.estimate.low:.4g} to {best.estimate.high:.4g}"
    print(
        f"{'winner' if cfg.export is None else 'chosen (export=' + str(cfg.export) + ')'}: "
        f"configuration {best.rank} ({best.label}: {key} {best.estimate.value:.4g}, {interval}, "
        f"{best.estimate.count} tracks); its best track: {chosen.name}"
        + (f"; breaks {'; '.join(best.breaches)}" if best.breaches else "")
    )
    if bundle:
        print(f"bundle: {bundle}")
    else:
        print(f"the winner has no track (no audio bundle in {chosen.run.folder}): nothing exported")
    report = None
    if cfg.report.enabled:
        judged = key == JUDGE_KEY and cfg.report.judge_reference
        band = judge_band(cfg.report.judge_reference) if judged else None
        report = write_report(entries, key, mode, rails, output_dir, cfg.report.tracks, band, found, level)
        print(f"report: {report}")

    counts = {status: sum(e.status == status for e in entries) for status in ("ranked", "unscored", "failed")}
    return {
        "winner": {
            "run": str(chosen.run.folder),
            "overrides": chosen.run.overrides,
            "score": chosen.score,
            "breaks": chosen.breaches,
            "bundle": str(bundle) if bundle else None,
            "configuration": found[best.rank - 1],
            "chosen_by": "ranking" if cfg.export is None else f"export={cfg.export}",
        },
        "criterion": {"key": key, "mode": mode, "level": level},
        "pareto_front": [row["config"] for row in found if row["pareto"]],
        "guard_rails": {rail.metric: [rail.low, rail.high] for rail in rails},
        "count": {"runs": len(entries), "configurations": len(found), **counts},
        "report": str(report) if report else None,
        "leaderboard": "leaderboard.json",
        "settings": OmegaConf.to_container(cfg, resolve=True),
    }
