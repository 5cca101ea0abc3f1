"""The benchmark's melody suite (benchmarks/melody_suite.py, evaluation/melodies/): the committed files
are what the script writes, and compose takes each as a 60 s track."""

import importlib.util
import json

from deepchorale.compose.form import plan_form
from deepchorale.compose.melody import load_melody, place_in_register
from deepchorale.compose.settings import compose_config
from deepchorale.data.split import manifest_path
from tests.conftest import CACHE_DIR, REPO

SCRIPT = REPO / "benchmarks/melody_suite.py"
SUITE = REPO / "evaluation/melodies"
spec = importlib.util.spec_from_file_location("melody_suite", SCRIPT)
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)


def test_the_committed_suite_is_what_the_script_writes(tmp_path):
    entries = script.build_suite(tmp_path, str(CACHE_DIR))
    committed = json.loads((SUITE / "manifest.json").read_text())
    assert entries == committed["melodies"]
    assert sorted(p.name for p in tmp_path.glob("*.mid")) == sorted(p.name for p in SUITE.glob("*.mid"))
    for entry in entries:
        assert (tmp_path / entry["file"]).read_bytes() == (SUITE / entry["file"]).read_bytes(), entry["file"]


def test_the_suite_is_ten_test_sopranos_and_twelve_german_folk_tunes():
    entries = json.loads((SUITE / "manifest.json").read_text())["melodies"]
    groups = [e["group"] for e in entries]
    assert groups.count("bach_test_soprano") == 10 and groups.count("folk") == 12
    test_ids = set(json.loads(manifest_path().read_text())["test"])
    sources = [e["source"].split()[2].rstrip(",") for e in entries if e["group"] == "bach_test_soprano"]
    assert set(sources) <= test_ids and len(set(sources)) == 10  # held-out chorales only
    folk = [e["source"] for e in entries if e["group"] == "folk"]
    assert all("essenFolksong/" in s and "ryansMammoth" not in s for s in folk)


def test_compose_takes_every_suite_melody_as_a_60_s_track():
    duration = compose_config().duration
    for path in sorted(SUITE.glob("*.mid")):
        melody = load_melody(str(path))
        assert melody.name == path.stem
        plan = plan_form(place_in_register(melody), duration.target_seconds, duration.max_tempo_change)
        assert abs(plan.seconds() - duration.target_seconds) < 0.02 * duration.target_seconds, path.name
