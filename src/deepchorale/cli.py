"""`deepchorale <app> [hydra overrides]`: one command, one Hydra app per subcommand."""

from __future__ import annotations

import importlib
import sys

APPS = {
    "data": ("deepchorale.apps.data", "build the cached Bach chorale corpus and report its figures"),
    "train": ("deepchorale.apps.train", "train a model (AR-CNN, Coconet, ...) on the chorales"),
    "compose": ("deepchorale.apps.compose", "a melody -> a four-voice, embellished Baroque track"),
    "evaluate": ("deepchorale.apps.evaluate", "score MIDI/MusicXML files: judge, metrics, distances to Bach"),
    "search": ("deepchorale.apps.search", "an Optuna search whose trials are runs of another app"),
    "select": ("deepchorale.apps.select", "rank runs by a results key; export the winner and a report"),
}

USAGE = "usage: deepchorale <app> [hydra overrides] [-m]\n\napps:\n" + "\n".join(
    f"  {name:<10}{summary}" for name, (_, summary) in APPS.items()
)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        sys.exit(0 if argv else 2)
    app, *overrides = argv
    if app not in APPS:
        print(f"deepchorale: error: unknown app {app!r}; choose from {', '.join(APPS)}", file=sys.stderr)
        sys.exit(2)
    sys.argv = [f"deepchorale {app}", *overrides]
    importlib.import_module(APPS[app][0]).main()


if __name__ == "__main__":
    main()
