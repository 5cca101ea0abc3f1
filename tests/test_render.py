import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import soundfile
from music21 import converter, expressions, key, tempo

from deepchorale.data.convert import to_midi
from deepchorale.data.corpus import chorale_from_score
from deepchorale.data.musicxml import read_musicxml
from deepchorale.data.spelling import key_signature
from deepchorale.render import (
    EngravingError,
    add_reverb,
    default_soundfont,
    engrave,
    limit,
    master,
    musescore,
    pianoroll_image,
    synthesize,
    write_audio,
    write_musicxml,
)

NO_MUSESCORE = "MuseScore (mscore3) is not installed; scripts/setup.sh installs Debian's musescore3 as root"


def test_synthesize_renders_real_audio_with_a_soundfont(by_id):
    chorale = by_id["bwv269"].crop(0, 32)  # two bars
    midi = to_midi(chorale, qpm=120)
    audio = synthesize(midi, sample_rate=16000)
    assert default_soundfont().is_file()
    # One FluidSynth per voice, in threads: the sum is the same whatever order the threads finish in.
    assert np.array_equal(audio, synthesize(midi, sample_rate=16000))
    assert audio.dtype == np.float32
    assert 3.5 * 16000 < audio.size < 6.5 * 16000  # 4 s of music plus the release tail
    rms = np.sqrt(np.mean(audio**2))
    assert rms > 0.01 and np.abs(audio).max() <= 1.0


def test_pianoroll_image_is_an_rgb_picture(by_id):
    image = pianoroll_image(by_id["bwv269"].pitches[:, :64], title="bwv269")
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    assert image.std() > 10  # not a blank canvas


def test_master_reaches_the_loudness_target_under_the_peak_ceiling(by_id):
    audio = synthesize(to_midi(by_id["bwv269"].crop(0, 64), qpm=100), sample_rate=22050)
    mastered, lufs, peak = master(add_reverb(audio, 22050), 22050, target_lufs=-14.0, ceiling_db=-1.0)
    assert peak <= -1.0 + 1e-3 and np.abs(mastered).max() < 1.0
    assert lufs == pytest.approx(-14.0, abs=0.2)  # the limiter holds peaks without giving up loudness


def test_limiter_never_lets_a_sample_over_the_ceiling():
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(20000) * 0.3).astype(np.float32)
    audio[5000] = 3.0  # a spike far over the ceiling
    limited = limit(audio, 8000, ceiling_db=-3.0)
    assert np.abs(limited).max() <= 10 ** (-3.0 / 20) + 1e-6
    quiet = np.abs(audio) < 0.2
    assert np.median(np.abs(limited[quiet]) / np.maximum(np.abs(audio[quiet]), 1e-9)) > 0.9  # not pumping


def test_reverb_adds_a_tail_and_is_seeded():
    click = np.zeros(1000, np.float32)
    click[0] = 1.0
    wet = add_reverb(click, 1000, seconds=1.0, wet=0.5)
    assert wet.size > click.size and np.abs(wet[500:]).max() > 0
    assert np.array_equal(wet, add_reverb(click, 1000, seconds=1.0, wet=0.5))


def test_audio_files_round_trip(tmp_path):
    tone = (0.5 * np.sin(np.linspace(0, 200 * np.pi, 8000))).astype(np.float32)
    for name in ("a.wav", "a.flac"):
        read, rate = soundfile.read(write_audio(tone, 8000, tmp_path / name), dtype="float32")
        assert rate == 8000 and np.allclose(read, tone, atol=1e-4)


def test_musicxml_score_keeps_every_note(by_id, tmp_path):
    chorale = by_id["bwv269"]  # has a pickup and fermatas
    path = write_musicxml(chorale, tmp_path / "score.musicxml", qpm=80, title="bwv269")
    score = read_musicxml(path)
    assert [p.name for p in score.parts] == ["Soprano", "Alto", "Tenor", "Bass"]
    back, _, _ = chorale_from_score(score, "back")
    assert back.pickup == chorale.pickup == 4  # a short first bar, not a bar of rests
    assert np.array_equal(back.pitches, chorale.pitches)
    assert np.array_equal(back.fermatas, chorale.fermatas)


def test_the_same_piece_writes_the_same_musicxml_bytes(by_id, tmp_path):
    first, second = (write_musicxml(by_id["bwv269"], tmp_path / f"{n}.musicxml", qpm=80) for n in "ab")
    assert first.read_bytes() == second.read_bytes()  # music21 would draw its part and instrument ids
    assert b'<score-part id="P1">' in first.read_bytes()


def test_musicxml_score_reads_as_a_musician_expects(by_id, tmp_path):
    chorale = by_id["bwv136.6"]  # F# minor: raised sixths and sevenths, a pickup, fermatas
    path = write_musicxml(
        chorale, tmp_path / "s.musicxml", qpm=72.4, title="Chorale", composer="J S Bot", programs=(6,) * 4
    )
    score = converter.parse(path)
    assert (score.metadata.bestTitle, score.metadata.composer) == ("Chorale", "J S Bot")
    for part in score.parts:
        played_by = part.getInstrument()
        assert (played_by.instrumentName, played_by.midiProgram) == ("Harpsichord", 6)
        signature = part.recurse().getElementsByClass(key.KeySignature).first()
        assert signature.sharps == key_signature(chorale.key_tonic, chorale.key_mode) == 3
    assert [mark.number for mark in score.recurse().getElementsByClass(tempo.MetronomeMark)] == [72]
    spans = np.sum(np.diff(np.concatenate([chorale.fermatas, [False]]).astype(int)) == -1)
    fermatas = [e for n in score.recurse().notes for e in n.expressions if isinstance(e, expressions.Fermata)]
    assert len(fermatas) == 4 * spans  # each voice's last note of each held chord
    notes, shown, needless, missing = accidentals(path)
    assert needless == missing == 0 and shown < 0.15 * notes


def accidentals(path):
    """(notes, accidentals shown, shown where the key and the bar already say it, missing where they
    do not): an accidental holds for its letter and octave to the end of the bar; one after the
    same letter altered otherwise, in the bar or the bar before, is a courtesy."""
    notes = shown = needless = missing = 0
    for part in ElementTree.parse(path).getroot().iter("part"):
        signature, previous_bar = {}, {}
        for measure in part.iter("measure"):
            for fifths in measure.iter("fifths"):
                order = "FCGDAEB" if int(fifths.text) > 0 else "BEADGCF"
                signature = {letter: np.sign(int(fifths.text)) for letter in order[: abs(int(fifths.text))]}
            bar = {}
            for note in (n for n in measure.iter("note") if n.find("pitch") is not None):
                letter, octave = note.findtext("pitch/step"), note.findtext("pitch/octave")
                alteration = int(note.findtext("pitch/alter") or 0)
                expected = bar.get((letter, octave), signature.get(letter, 0))
                courtesy = any(k[0] == letter and a != alteration for k, a in {**previous_bar, **bar}.items())
                held_over = any(tie.get("type") == "stop" for tie in note.iter("tie"))
                marked = note.find("accidental") is not None
                notes, shown = notes + 1, shown + marked
                needless += marked and alteration == expected and not courtesy
                missing += not marked and alteration != expected and not held_over
                bar[(letter, octave)] = alteration
            previous_bar = bar
    return notes, shown, needless, missing


@pytest.mark.skipif(musescore() is None, reason=NO_MUSESCORE)
def test_musescore_opens_the_score_without_a_complaint(by_id, tmp_path):
    musicxml = write_musicxml(by_id["bwv269"], tmp_path / "s.musicxml", qpm=80, title="bwv269")
    display = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([musescore(), "-o", str(tmp_path / "direct.pdf"), str(musicxml)], env=display,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    said = run.stdout + run.stderr
    assert run.returncode == 0 and "Error" not in said and "no instrument found" not in said, said
    pdf = engrave(musicxml, tmp_path / "s.pdf", musescore())
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "direct.pdf",
        "s.musicxml",
        "s.pdf",
    ]  # no scratch left


@pytest.mark.parametrize(
    "script, timeout, reason",
    [("echo 'cannot read the score' >&2; exit 3", 30, "exited with status 3: cannot read the score"),
     ("exit 0", 30, "exited with status 0: no output"),
     ("sleep 20", 0.5, "took over 0.5 s")],
)  # fmt: skip
def test_a_failed_engraving_is_one_line_and_leaves_nothing(tmp_path, script, timeout, reason):
    program = tmp_path / "fake-mscore"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    (tmp_path / "out").mkdir()
    with pytest.raises(EngravingError, match=reason):
        engrave(tmp_path / "s.musicxml", tmp_path / "out" / "s.pdf", str(program), timeout=timeout)
    assert not any((tmp_path / "out").iterdir())


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this OS")
def test_workers_count_the_cpus_this_process_may_use_not_the_nodes():
    # What Slurm (or taskset) does to a job: pin it to some of the node's CPUs.
    code = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from deepchorale.data.corpus import usable_cpus; print(usable_cpus(), os.cpu_count())"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", str(os.cpu_count())]


def chunk(kind: bytes, data: bytes) -> bytes:
    return kind + struct.pack("<I", len(data)) + data + b"\0" * (len(data) % 2)


def write_soundfont(path):
    """The smallest SoundFont 2 file: one preset, one instrument, one 100-sample square wave. Its
    instrument zone has a modulator with no source, which makes FluidSynth warn "Modulator with
    source 1 none" as it does for some real soundfonts."""

    def name(text: str) -> bytes:
        return text.encode().ljust(20, b"\0")

    wave = struct.pack("<100h", *[4000 if i % 20 < 10 else -4000 for i in range(100)]) + b"\0" * 92
    info = chunk(b"ifil", struct.pack("<HH", 2, 1)) + chunk(b"isng", b"EMU8000\0") + chunk(b"INAM", b"t\0")
    presets = struct.pack("<20sHHHIII", name("p"), 0, 0, 0, 0, 0, 0) + struct.pack(
        "<20sHHHIII", name("EOP"), 0, 0, 1, 0, 0, 0
    )
    hydra = [
        chunk(b"phdr", presets),
        chunk(b"pbag", struct.pack("<4H", 0, 0, 1, 0)),
        chunk(b"pmod", b"\0" * 10),
        chunk(b"pgen", struct.pack("<HhHh", 41, 0, 0, 0)),  # generator 41: instrument 0
        chunk(b"inst", struct.pack("<20sH", name("i"), 0) + struct.pack("<20sH", name("EOI"), 1)),
        chunk(b"ibag", struct.pack("<4H", 0, 0, 1, 1)),
        chunk(b"imod", struct.pack("<HHhHH", 0, 48, 100, 0, 0) + b"\0" * 10),  # source 0: none
        chunk(b"igen", struct.pack("<HhHh", 53, 0, 0, 0)),  # generator 53: sample 0
        chunk(b"shdr", struct.pack("<20s5IBbHH", name("s"), 0, 100, 10, 90, 22050, 60, 0, 0, 1) + b"\0" * 46),
    ]
    lists = [(b"INFO", info), (b"sdta", chunk(b"smpl", wave)), (b"pdta", b"".join(hydra))]
    path.write_bytes(chunk(b"RIFF", b"sfbk" + b"".join(chunk(b"LIST", kind + body) for kind, body in lists)))
    return path


FOUR_VOICES = """
import sys, deepchorale, pretty_midi  # deepchorale first, as every entry point imports it
midi = pretty_midi.PrettyMIDI()
for pitch in (72, 67, 64, 48):
    voice = pretty_midi.Instrument(0)  # the one preset of the soundfont
    voice.notes = [pretty_midi.Note(80, pitch, 0, 1)]
    midi.instruments.append(voice)
"""


def test_fluidsynth_warnings_do_not_reach_the_user(tmp_path):
    soundfont = write_soundfont(tmp_path / "warns.sf2")

    def run(code: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-c", FOUR_VOICES + code, str(soundfont)]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    blind = run("for voice in midi.instruments: voice.fluidsynth(fs=22050, synthesizer=sys.argv[1])")
    assert blind.returncode == 0 and blind.stderr.count("Modulator with source 1 none") == 4
    ours = run(
        "from deepchorale.render import synthesize; print(abs(synthesize(midi, 22050, sys.argv[1])).max())"
    )
    assert ours.returncode == 0 and ours.stderr == "" and ours.stdout.strip() == "1.0"
