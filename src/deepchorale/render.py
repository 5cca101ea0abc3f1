"""Rendering four voices: MIDI, a four-staff MusicXML score and its engraving, audio, piano-roll pictures.

Audio uses a real General MIDI soundfont through FluidSynth: Debian's TimGM6mb (installed by
scripts/setup.sh) when present, else the copy that pretty_midi ships. FluidSynth's output is
quiet and uncalibrated, so `master` normalises it to a loudness target (ITU-R BS.1770 integrated
loudness, via pyloudnorm) under a true-peak ceiling, after an optional synthetic-hall reverb.
The score is engraved as PDF by MuseScore, when one is installed (scripts/setup.sh installs
Debian's musescore3). Every writer writes to a temporary name and renames it into place: a failed
render leaves no partial file.
"""

from __future__ import annotations

import copy
import functools
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt
import numpy as np
import pretty_midi
import pyloudnorm
import soundfile
from music21 import clef, expressions, instrument, key, metadata, meter, note, stream, tempo
from scipy.signal import fftconvolve, lfilter, resample_poly

from deepchorale.atomic import atomic_path
from deepchorale.data.chorale import REST, VOICES, Chorale
from deepchorale.data.corpus import usable_cpus
from deepchorale.data.spelling import key_signature, spell, written_pitch

DEBIAN_SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
FLUID_WARN, FLUID_INFO, FLUID_DBG = 2, 3, 4  # FluidSynth's log levels (fluid_log_level)
VOICE_COLOURS = ("#c0392b", "#2980b9", "#27ae60", "#8e44ad")


def default_soundfont() -> Path:
    if DEBIAN_SOUNDFONT.is_file():
        return DEBIAN_SOUNDFONT
    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


@functools.cache
def quiet_fluidsynth() -> None:
    """Drop FluidSynth's warnings and notes, which it prints straight to the C stderr: many soundfonts
    make it warn "Modulator with source 1 none" once per synthesizer, i.e. per voice per render.
    Its errors still get through."""
    import fluidsynth  # here, not at the top: it raises at import when libfluidsynth is missing

    for level in (FLUID_WARN, FLUID_INFO, FLUID_DBG):
        fluidsynth._fl.fluid_set_log_function(level, None, None)  # no handler: the level is silent


def synthesize(midi: pretty_midi.PrettyMIDI, sample_rate: int = 22050, soundfont: str | Path | None = None):
    """Mono float32 audio of `midi`, peak-normalised to 1.0 (silence stays zero).

    As pretty_midi's own `fluidsynth`, every instrument is rendered alone and the waveforms are
    summed; here each has its own FluidSynth in its own thread (FluidSynth runs outside the GIL),
    so a four-voice track renders on all cores at once."""
    soundfont = Path(soundfont) if soundfont else default_soundfont()
    if not soundfont.is_file():
        raise FileNotFoundError(f"soundfont {soundfont} not found")
    quiet_fluidsynth()

    def render(instrument: pretty_midi.Instrument) -> np.ndarray:
        return instrument.fluidsynth(fs=sample_rate, synthesizer=str(soundfont))

    with ThreadPoolExecutor(max_workers=usable_cpus()) as pool:
        waveforms = list(pool.map(render, midi.instruments))
    audio = np.zeros(max((len(w) for w in waveforms), default=0))
    for waveform in waveforms:
        audio[: len(waveform)] += waveform
    peak = np.abs(audio).max(initial=0.0)
    return (audio / peak if peak > 0 else audio).astype(np.float32)


def true_peak_db(audio: np.ndarray) -> float:
    """Peak of the 4x oversampled signal in dBTP (ITU-R BS.1770-4, Annex 2)."""
    peak = np.abs(resample_poly(audio, 4, 1)).max()
    return float(20 * np.log10(max(peak, 1e-12)))


def add_reverb(audio: np.ndarray, sample_rate: int, seconds: float = 1.8, wet: float = 0.18, seed: int = 0):
    """A hall-like tail: convolution with exponentially decaying noise (RT60 = `seconds`), seeded."""
    length = int(seconds * sample_rate)
    rng = np.random.default_rng(seed)
    decay = np.exp(-6.91 * np.arange(length) / length)  # -60 dB over `seconds`
    impulse = (rng.standard_normal(length) * decay).astype(np.float32)
    impulse /= np.sqrt(np.sum(impulse**2))
    tail = fftconvolve(audio, impulse)[: len(audio) + length // 2]
    dry = np.pad(audio, (0, len(tail) - len(audio)))
    return ((1 - wet) * dry + wet * tail).astype(np.float32)


def limit(
    audio: np.ndarray, sample_rate: int, ceiling_db: float, release_seconds: float = 0.15
) -> np.ndarray:
    """A look-ahead peak limiter: the gain is down before a peak over the ceiling, then recovers.

    The gain each sample needs is min(1, ceiling / |x|). A running minimum over the next 5 ms
    followed by a 5 ms moving average is a smooth curve that still never exceeds the needed gain at
    any sample (each average only mixes minima over windows that contain that sample); a one-pole
    filter then slows the release so the gain does not pump at audio rate.
    """
    ceiling = 10 ** (ceiling_db / 20)
    needed = np.minimum(1.0, ceiling / np.maximum(np.abs(audio), 1e-12))
    span = max(1, int(0.005 * sample_rate))
    ahead = np.lib.stride_tricks.sliding_window_view(np.concatenate([needed, np.ones(span - 1)]), span).min(
        axis=1
    )
    smooth = np.convolve(np.concatenate([np.ones(span - 1), ahead]), np.ones(span) / span, mode="valid")
    pole = np.exp(-1.0 / (release_seconds * sample_rate))
    released, _ = lfilter([1 - pole], [1, -pole], smooth, zi=[pole])
    return (audio * np.minimum(smooth, released)).astype(np.float32)


def master(audio: np.ndarray, sample_rate: int, target_lufs: float = -14.0, ceiling_db: float = -1.0):
    """Gain to `target_lufs` integrated loudness (ITU-R BS.1770), then a peak limiter so the true
    peak stays under `ceiling_db` (streaming practice: -14 LUFS, -1 dBTP). Returns (audio, achieved
    LUFS, true peak dBTP)."""
    meter_ = pyloudnorm.Meter(sample_rate)
    loudness = meter_.integrated_loudness(audio)
    if not np.isfinite(loudness):
        raise ValueError("the rendered audio is silent")
    audio = (audio * 10 ** ((target_lufs - loudness) / 20)).astype(np.float32)
    peak = true_peak_db(audio)  # 4x oversampling: each measure costs a tenth of a 60 s track's render
    if peak > ceiling_db:
        # Limit sample peaks 0.5 dB under the ceiling: inter-sample peaks rise above sample peaks.
        audio = limit(audio, sample_rate, ceiling_db - 0.5)
        peak = true_peak_db(audio)
        if peak > ceiling_db:
            audio = (audio * 10 ** (-(peak - ceiling_db) / 20)).astype(np.float32)
            peak = true_peak_db(audio)
    return audio, float(meter_.integrated_loudness(audio)), peak


def write_audio(audio: np.ndarray, sample_rate: int, path: str | Path) -> Path:
    """WAV (24-bit PCM) or FLAC (24-bit), by the path's suffix."""
    path = Path(path)
    kind = {".wav": "WAV", ".flac": "FLAC"}[path.suffix.lower()]
    with atomic_path(path) as temporary:
        soundfile.write(temporary, audio, sample_rate, subtype="PCM_24", format=kind)
    return path


CLEFS = (clef.TrebleClef, clef.TrebleClef, clef.Treble8vbClef, clef.BassClef)
ORGAN = 19  # General MIDI's church organ, compose's default voice


def part_instrument(name: str, program: int) -> instrument.Instrument:
    """The instrument of a voice's part, so notation programs know what plays it (MuseScore
    reports "no instrument found" for a part without one) and play it with the audio's program."""
    try:
        played_by = instrument.instrumentFromMidiProgram(program)
    except instrument.InstrumentException:  # a program music21 has no class for
        played_by = instrument.Instrument(f"General MIDI program {program}")
        played_by.midiProgram = program
    played_by.partName, played_by.partAbbreviation = name, name[0] + "."
    return played_by


def written_note(midi: int, position: int, quarters: float) -> note.Note:
    letter, alteration, octave = written_pitch(midi, position)
    accidental = "#" * alteration if alteration > 0 else "-" * -alteration
    return note.Note(f"{letter}{accidental}{octave}", quarterLength=quarters)


def metronome_mark(qpm: float) -> tempo.MetronomeMark:
    mark = tempo.MetronomeMark(number=round(qpm))
    mark.placement = "above"  # over the top staff, where players look for it (MuseScore puts it below)
    return mark


def fermata_ends(chorale: Chorale) -> set[int]:
    """The last step of each span of held chords."""
    held = chorale.fermatas
    return {step for step in np.flatnonzero(held) if step + 1 == len(held) or not held[step + 1]}


def as_pickup(part: stream.Part, rest_quarters: float) -> None:
    """The first bar, which opens with `rest_quarters` of rests, as a short bar (an anacrusis):
    numbered 0 and left uncounted, as players number bars."""
    opening, *rest_of_the_bars = list(part.getElementsByClass(stream.Measure))  # unpacked with *, it restarts
    for rest in [r for r in opening.notesAndRests if r.offset < rest_quarters]:
        opening.remove(rest)
    for element in opening.notesAndRests:
        element.offset -= rest_quarters
    opening.paddingLeft = rest_quarters
    opening.number, opening.showNumber = 0, stream.enums.ShowNumber.NEVER
    for bar in rest_of_the_bars:
        bar.number -= 1
        bar.offset -= rest_quarters


def write_musicxml(
    chorale: Chorale,
    path: str | Path,
    qpm: float,
    title: str = "",
    composer: str = "deepchorale",
    programs: tuple[int, ...] = (ORGAN,) * len(VOICES),
) -> Path:
    """A four-staff score (S, A, T, B; tenor in the octave-treble clef) in the piece's key, its notes
    spelled from the key and the harmony (`data/spelling.py`), each voice's note that ends a held
    chord under a fermata, each part with the instrument of its General MIDI program.

    A pickup is a short first bar, numbered 0.
    """
    score = stream.Score()
    score.insert(0, metadata.Metadata(title=title, composer=composer))  # else music21 credits itself
    lead = (chorale.bar_steps - chorale.pickup) % chorale.bar_steps
    signature = key.KeySignature(key_signature(chorale.key_tonic, chorale.key_mode)).asKey(chorale.key_mode)
    spellings = spell(chorale)
    held = fermata_ends(chorale)
    for voice, (name, make_clef, program) in enumerate(zip(VOICES, CLEFS, programs)):
        part = stream.Part()
        part.partName = name.capitalize()
        played_by = part_instrument(part.partName, program)
        # MusicXML's conventional ids, where music21 would draw random ones: the same piece, the same file.
        played_by.partId, played_by.instrumentId = f"P{voice + 1}", f"P{voice + 1}-I1"
        part.insert(0, played_by)
        part.insert(0, make_clef())
        part.insert(0, meter.TimeSignature(f"{chorale.meter[0]}/{chorale.meter[1]}"))
        part.insert(0, copy.deepcopy(signature))
        if voice == 0:
            part.insert(0, metronome_mark(qpm))
        for n in (n for n in chorale.notes() if n.voice == voice):
            written = written_note(n.pitch, spellings[(n.voice, n.start)], (n.end - n.start) / 4)
            if n.end - 1 in held:
                written.expressions.append(expressions.Fermata())
            part.insert((n.start + lead) / 4, written)
        # Bars, ties and accidentals now, as music21 would on writing, but an accidental holds to
        # the end of its bar: music21 repeats it on a later note of the same pitch.
        part.makeNotation(inPlace=True, cautionaryNotImmediateRepeat=False)
        if lead:  # music21 bars a part from its start: the notes went in after `lead`, then it goes
            as_pickup(part, lead / 4)
        score.insert(0, part)
    with atomic_path(path) as temporary:
        score.write("musicxml", fp=temporary)
    return Path(path)


MUSESCORE_COMMANDS = ("mscore3", "musescore3", "mscore", "musescore")  # Debian's names, then upstream's


class EngravingError(RuntimeError):
    """MuseScore wrote no score; the message says why in one line."""


def musescore() -> str | None:
    """The MuseScore on PATH, or None."""
    return next((found for name in MUSESCORE_COMMANDS if (found := shutil.which(name))), None)


def engrave(musicxml: str | Path, path: str | Path, program: str, timeout: float = 60.0) -> Path:
    """`musicxml` engraved by MuseScore (`program`) as the PDF or PNG that `path`'s suffix names;
    a multi-page PNG is `path` with -1, -2... before the suffix, as MuseScore numbers them.

    MuseScore picks the format from the output's name, so it writes into a hidden scratch folder
    beside `path` under the final name, and the result is renamed into place."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as scratch:
        written, runtime = Path(scratch) / "written", Path(scratch) / "runtime"
        written.mkdir()
        runtime.mkdir(mode=0o700)  # Qt warns when no private runtime folder is set
        display = {"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}  # no display on servers
        command = [program, "-o", str(written / path.name), str(musicxml)]
        environment = {**os.environ, **display}
        try:
            run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise EngravingError(f"{Path(program).name} took over {timeout:g} s") from error
        pages = sorted(p for p in written.iterdir() if p.stat().st_size > 0)
        if run.returncode or not pages:
            said = (run.stderr.strip().splitlines() or ["no output"])[-1]
            raise EngravingError(f"{Path(program).name} exited with status {run.returncode}: {said}")
        for page in pages:
            os.replace(page, path.parent / page.name)
    return path


def pianoroll_image(pitches: np.ndarray, title: str = "", steps_per_bar: int = 16) -> np.ndarray:
    """An RGB uint8 picture of four voices over time, one colour per voice, bar lines dotted."""
    pitches = np.asarray(pitches)
    figure, axes = plt.subplots(figsize=(max(4.0, pitches.shape[1] / 16), 3.0), dpi=80)
    for voice, (name, colour) in enumerate(zip(VOICES, VOICE_COLOURS)):
        steps = np.flatnonzero(pitches[voice] != REST)
        axes.scatter(steps, pitches[voice, steps], s=6, marker="s", color=colour, label=name, linewidths=0)
    for bar in range(0, pitches.shape[1] + 1, steps_per_bar):
        axes.axvline(bar, color="#bbbbbb", linewidth=0.5, linestyle=":")
    axes.set_xlim(0, pitches.shape[1])
    axes.set_xlabel("16th-note step")
    axes.set_ylabel("MIDI pitch")
    axes.set_title(title, fontsize=9)
    axes.legend(loc="upper right", fontsize=6, ncols=4)
    figure.tight_layout()
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return image
