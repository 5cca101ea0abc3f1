"""Find the runs `deepchorale select` is given: every folder Hydra ran an app in (it holds `.hydra/`)
or that holds a `results.json`, read once each, and never anything outside them.

What is not a run of its own: a `select` run and everything under it (its exported bundle holds a
copy of another run's record), and a `search` worker's own folder (its results.json sums up its
trials; the trials are runs). A run counts as failed, listed but never ranked, when its results.json
carries an `error` key, is not valid JSON, or is missing from a Hydra run folder, and when any of
its records cannot be read: one bad run never stops a selection. A run's bundle is looked for in its
own folder, and a run whose recorded bundle, or any file in it, lies outside its folder once links
are followed is failed. Folders are walked following links to folders, but into each real folder
once: two links to `.` are a loop to step over, not to follow forever.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from deepchorale.run_records import RESULTS, RecordError, read_results


class SelectionError(ValueError):
    """Input that select cannot work with (no runs, an unknown key): one line for the user."""


@dataclass
class Run:
    folder: Path
    results: dict | None  # None when the run failed
    failure: str | None = None  # why it failed
    overrides: list[str] = field(default_factory=list)  # the Hydra overrides it was started with
    track: Path | None = None  # its bundle folder with audio, inside the run folder
    config: dict = field(default_factory=dict)  # its resolved config.yaml ({} without one)


def walk(root: Path, seen: set[tuple[int, int]], hidden: bool = True) -> Iterator[Path]:
    """`root` and every path under it, entering each real folder once (`seen` holds the device and
    inode of those entered), so links are followed but no loop is; hidden names too, when `hidden`."""
    stack = [root]
    while stack:
        path = stack.pop()
        yield path
        try:
            if not path.is_dir():
                continue
            status = path.stat()
            if (status.st_dev, status.st_ino) in seen:
                continue
            seen.add((status.st_dev, status.st_ino))
            children = [child for child in path.iterdir() if hidden or not child.name.startswith(".")]
        except OSError:  # unreadable, or a link to nowhere: nothing to enter
            continue
        stack += sorted(children, reverse=True)


def matching(folder: Path, part: str) -> list[Path]:
    """The paths one component of a glob pattern matches in `folder` (glob's rules: `**` is the
    folder and everything under it, `*` matches no hidden name)."""
    if part == "**":
        return list(walk(folder, set(), hidden=False))
    if not glob.has_magic(part):
        return [folder / part] if os.path.lexists(folder / part) else []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    visible = [name for name in names if part.startswith(".") or not name.startswith(".")]
    return [folder / name for name in visible if fnmatch.fnmatchcase(name, part)]


def expand(patterns: str | list[str]) -> list[Path]:
    """Folders or results.json files named by paths or globs (`**` recurses)."""
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    paths = []
    for pattern in patterns:
        parts = Path(os.path.expanduser(pattern)).parts
        fixed = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
        matches = [Path(*parts[:fixed])] if fixed else [Path(".")]
        for part in parts[fixed:]:
            matches = [match for folder in matches for match in matching(folder, part)]
        matches = [match for match in matches if os.path.lexists(match)]
        if not matches:
            raise SelectionError(f"runs={pattern!r} matches no file or folder")
        paths += sorted({match.resolve() for match in matches})
    return paths


def read_config(folder: Path) -> dict:
    """The run's resolved config.yaml ({} without one); RecordError when it cannot be read."""
    return read_yaml(folder, "config.yaml") or {}


def read_yaml(folder: Path, name: str):
    path = folder / name
    if not path.is_file():
        return None
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RecordError(f"{name} cannot be read ({reason})") from None


def inside(path: Path, folder: Path) -> bool:
    """Whether `path`, links followed, lies in `folder`."""
    return path.resolve().is_relative_to(folder.resolve())


def own_track(folder: Path, results: dict) -> Path | None:
    """The run's bundle folder (compose's `bundle`) when it holds audio; None for runs without a
    track. A moved run still finds its bundle: the same name in its folder first, then the recorded
    path. RecordError when the bundle, or a file in it, lies outside the run folder."""
    recorded = results.get("bundle")
    if not isinstance(recorded, str) or not recorded:
        return None
    named = Path(recorded)
    candidates = [folder / named.name] if named.name not in ("", ".", "..") else []
    track = next((path for path in [*candidates, folder / named] if path.is_dir()), None)
    if track is None:
        return None
    if not inside(track, folder):
        raise RecordError(f"its bundle {recorded} lies outside the run folder: not read")
    files = list(track.iterdir())
    outside = next((path for path in files if not inside(path, folder)), None)
    if outside is not None:
        raise RecordError(f"{outside.name} in its bundle links outside the run folder: not read")
    return track if any(path.suffix in (".flac", ".wav") for path in files) else None


def read_run(folder: Path, config: dict | None = None, config_problem: str | None = None) -> Run:
    run = Run(folder, None, config=config if isinstance(config, dict) else {})
    try:
        run.overrides = [str(o) for o in read_yaml(folder, ".hydra/overrides.yaml") or []]
        if config_problem:
            raise RecordError(config_problem)
        results = read_results(folder)
        if "error" in results:  # a failed multirun job's record (apps/runner.py)
            raise RecordError(f"error: {results['error']}")
        run.track = own_track(folder, results)
    except FileNotFoundError:
        run.failure = f"no {RESULTS}: the run failed or has not finished"
    except (RecordError, OSError, TypeError) as error:  # TypeError: overrides.yaml holds no list
        run.failure = str(error)
    else:
        run.results = results
    return run


def find_runs(patterns: str | list[str]) -> list[Run]:
    """Every run under the named folders (recursively) or results.json files, each once."""
    candidates = set()
    seen = set()  # the real folders already walked: shared, so each is walked once
    for path in expand(patterns):
        if path.is_file():
            if path.name == RESULTS:
                candidates.add(path.parent)
            continue
        for found in walk(path, seen):
            if (found.name == RESULTS and found.is_file()) or (found.name == ".hydra" and found.is_dir()):
                candidates.add(found.parent)
    tasks, configs, problems = {}, {}, {}
    for folder in candidates:
        try:
            configs[folder] = read_config(folder)
            tasks[folder] = configs[folder].get("task_name") if isinstance(configs[folder], dict) else None
        except RecordError as error:
            tasks[folder], problems[folder] = None, str(error)
    selects = {folder for folder, task in tasks.items() if task == "select"}

    def within(folder: Path, others) -> bool:
        return any(other != folder and folder.is_relative_to(other) for other in others)

    kept = [
        folder
        for folder in candidates
        if tasks[folder] not in ("select", "search") and not within(folder, selects)
    ]
    if not kept:
        named = patterns if isinstance(patterns, str) else ", ".join(patterns)
        raise SelectionError(f"no runs found in {named} (no results.json or .hydra/ folder)")
    return [read_run(folder, configs.get(folder), problems.get(folder)) for folder in sorted(kept)]
