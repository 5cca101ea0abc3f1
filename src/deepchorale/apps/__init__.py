"""Hydra applications behind `deepchorale <app>`: one module each, with its primary config in conf/.

An app's module imports Hydra, OmegaConf and `apps.runner` at its top, and the modules of its work
(torch, Lightning, music21, W&B, Optuna, matplotlib: seconds) inside the functions that do it: so
`--help`, tab completion, `--cfg` and a mistyped override answer in well under a second
(`benchmarks/startup.py`; `tests/apps/test_startup.py` keeps it so).
"""

# name -> (module, one-line summary); importing an app's module is left to the caller (`cli.run_app`):
# this registry must stay cheap to import, as `deepchorale --help` reads it.
APPS = {
    "data": ("deepchorale.apps.data", "build the cached Bach chorale corpus and report its figures"),
    "train": ("deepchorale.apps.train", "train a model (AR-CNN, Coconet, ...) on the chorales"),
    "compose": ("deepchorale.apps.compose", "a melody -> a four-voice, embellished Baroque track"),
    "evaluate": ("deepchorale.apps.evaluate", "score MIDI/MusicXML files: judge, metrics, distances to Bach"),
    "search": ("deepchorale.apps.search", "an Optuna search whose trials are runs of another app"),
    "select": ("deepchorale.apps.select", "rank runs by a results key; export the winner and a report"),
}
