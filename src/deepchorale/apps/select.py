"""`deepchorale select runs=<dir or glob>`: rank runs, export the winner, write the report.

Output, in the run dir: the leaderboard in the terminal and as `leaderboard.csv` / `leaderboard.json`,
the winner's track as the submission bundle `<fullname>-<company>-<genre>/` (audio, MIDI, MusicXML,
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


def to_csv(table_rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(table_rows[0]))
    writer.writeheader()
    writer.writerows(table_rows)
    return buffer.getvalue()


@hydra_app("select")
def main(cfg: DictConfig, output_dir: Path) -> dict:
    from deepchorale.selection.leaderboard import SelectionError, find_runs, guard_rails, rank, rows
    from deepchorale.selection.report import JUDGE_KEY, judge_band, write_report  # see `deepchorale.apps`
    from deepchorale.selection.submission import export_submission

    runs = list(cfg.runs) if isinstance(cfg.runs, ListConfig) else str(cfg.runs)
    key, mode = str(cfg.criterion.key), str(cfg.criterion.mode)
    columns = [str(column) for column in cfg.columns]
    try:
        name = bundle_name(cfg.bundle.fullname, cfg.bundle.company, cfg.bundle.genre)
        rails = guard_rails(
            list(cfg.guard_rails.metrics), tuple(cfg.guard_rails.percentiles), cfg.guard_rails.reference
        )
        entries = rank(find_runs(runs), key, mode, rails)
    except (BundleNameError, SelectionError) as error:
        raise UserInputError(str(error)) from error

    table_rows = rows(entries, key, rails, columns)
    show(table_rows, key, [rail.metric for rail in rails], columns)
    write_text(output_dir / "leaderboard.csv", to_csv(table_rows))
    write_json(output_dir / "leaderboard.json", table_rows)

    winner = entries[0]
    bundle = export_submission(winner, output_dir, name)
    print(
        f"winner: {winner.name} ({key} {winner.score:.4g})"
        + (f"; breaks {'; '.join(winner.breaches)}" if winner.breaches else "")
    )
    if bundle:
        print(f"bundle: {bundle}")
    else:
        print(f"the winner has no track (no audio bundle in {winner.run.folder}): nothing exported")
    report = None
    if cfg.report.enabled:
        judged = key == JUDGE_KEY and cfg.report.judge_reference
        band = judge_band(cfg.report.judge_reference) if judged else None
        report = write_report(entries, key, mode, rails, output_dir, cfg.report.tracks, band)
        print(f"report: {report}")

    counts = {status: sum(e.status == status for e in entries) for status in ("ranked", "unscored", "failed")}
    return {
        "winner": {
            "run": str(winner.run.folder),
            "overrides": winner.run.overrides,
            "score": winner.score,
            "breaks": winner.breaches,
            "bundle": str(bundle) if bundle else None,
        },
        "criterion": {"key": key, "mode": mode},
        "guard_rails": {rail.metric: [rail.low, rail.high] for rail in rails},
        "count": {"runs": len(entries), **counts},
        "report": str(report) if report else None,
        "leaderboard": "leaderboard.json",
        "settings": OmegaConf.to_container(cfg, resolve=True),
    }
