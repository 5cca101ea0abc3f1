"""Rendering four voices for ears and eyes: audio through FluidSynth, piano-roll pictures.

Audio uses a real General MIDI soundfont: Debian's TimGM6mb (installed by scripts/setup.sh) when
present, else the copy that pretty_midi ships, so rendering works on any machine with
libfluidsynth.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers; must precede pyplot
import matplotlib.pyplot as plt
import numpy as np
import pretty_midi

from deepchorale.data.chorale import REST, VOICES

DEBIAN_SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
VOICE_COLOURS = ("#c0392b", "#2980b9", "#27ae60", "#8e44ad")


def default_soundfont() -> Path:
    if DEBIAN_SOUNDFONT.is_file():
        return DEBIAN_SOUNDFONT
    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


def synthesize(midi: pretty_midi.PrettyMIDI, sample_rate: int = 22050, soundfont: str | Path | None = None):
    """Mono float32 audio of `midi`, peak-normalised by pretty_midi to 1.0 (silence stays zero)."""
    soundfont = Path(soundfont) if soundfont else default_soundfont()
    if not soundfont.is_file():
        raise FileNotFoundError(f"soundfont {soundfont} not found")
    return midi.fluidsynth(fs=sample_rate, synthesizer=str(soundfont)).astype(np.float32)


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
