"""Our composed tracks as the judges' `generated` family (experiments/judge_negatives/): what the
tool writes is what the family reads."""

import importlib.util
import json
import subprocess
import sys

import pretty_midi

from deepchorale.compose.settings import compose_config
from deepchorale.judge.negatives import generated
from deepchorale.judge.other_composers import file_split
from tests.conftest import CACHE_DIR, REPO

SCRIPT = REPO / "experiments/judge_negatives/compose_negatives.py"
SHIPPED = REPO / "experiments/judge_negatives/composed"
spec = importlib.util.spec_from_file_location("compose_negatives", SCRIPT)
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)
WEAK_SETUPS, compose_negatives, folk_tunes = script.WEAK_SETUPS, script.compose_negatives, script.folk_tunes


def test_negatives_deal_the_weak_setups_over_bach_sopranos_and_folk_tunes(tmp_path):
    entries = compose_negatives(tmp_path / "a", pieces=3, seed=0, cache_dir=str(CACHE_DIR))
    assert [e["setup"] for e in entries] == list(WEAK_SETUPS)[:3]
    assert entries[0]["tune"].startswith("bwv") and not entries[1]["tune"].startswith("bwv")
    files = sorted((tmp_path / "a").glob("*.mid"))
    assert [f.name for f in files] == sorted(e["file"] for e in entries)
    split = file_split(files[0].name)
    pieces = generated(tmp_path / "a", split)
    assert pieces and all(p.pitches.shape[0] == 4 for p in pieces)  # four voices, as the judge reads them
    again = compose_negatives(tmp_path / "b", pieces=1, seed=0, cache_dir=str(CACHE_DIR))
    assert (tmp_path / "b" / again[0]["file"]).read_bytes() == (
        tmp_path / "a" / entries[0]["file"]
    ).read_bytes()
    # The shipped file's tune and form reproduce on any machine; its lower voices are bf16 draws,
    # bit-identical only on CPUs with the same bf16 kernels (AMX and AVX512-BF16 round differently).
    ours, shipped = (midi_notes(d / entries[1]["file"]) for d in (tmp_path / "a", SHIPPED))
    assert len(ours) == len(shipped) == 4 and ours[0] == shipped[0]
    assert max(n[2] for n in ours[-1]) == max(n[2] for n in shipped[-1])  # the same length, to the step


def midi_notes(path):
    """Per track, (pitch, start, end) of every note."""
    tracks = pretty_midi.PrettyMIDI(str(path)).instruments
    return [[(n.pitch, n.start, n.end) for n in track.notes] for track in tracks]


def test_folk_tunes_are_ones_compose_takes_as_a_60_s_track():
    tunes = folk_tunes(3, compose_config().duration)
    assert len(tunes) == 3 and len({t.name for t in tunes}) == 3


def test_bad_piece_count_is_one_line(tmp_path):
    command = [sys.executable, str(SCRIPT), "--pieces", "0"]
    run = subprocess.run([*command, "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert run.returncode != 0 and run.stderr.strip() == (
        "compose_negatives: error: --pieces must be at least 1, got 0"
    )
    assert not list(tmp_path.iterdir())


def test_the_shipped_negatives_name_their_command():
    manifest = json.loads((REPO / "experiments/judge_negatives/composed/manifest.json").read_text())
    assert manifest["command"].startswith("python experiments/judge_negatives/compose_negatives.py")
    assert {e["setup"] for e in manifest["pieces"]} == set(WEAK_SETUPS)
