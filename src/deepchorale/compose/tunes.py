"""Built-in public-domain melodies, encoded here note by note (no downloads, no corpus lookup).

Each tune is a string of `<pitch><octave>:<16ths>` tokens (`r:<16ths>` for a rest), its meter,
pickup (16ths before the first downbeat) and a customary tempo. DeepComposer's sample melodies
are among them; DeepComposer capped inputs at 8 bars, these are full tunes. Each is written in a
key where a chorale soprano sings it (inside Bach's soprano band, D4-F#5: `place_in_register`),
as Bach would have set it: Ode to Joy, Twinkle and the Largo in G major.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tune:
    notes: str
    meter: tuple[int, int] = (4, 4)
    pickup: int = 0
    qpm: float = 96.0
    title: str = ""


BUILTIN_MELODIES: dict[str, Tune] = {
    "ode_to_joy": Tune(
        title="Ode to Joy (Beethoven, Symphony No. 9, 1824)",
        qpm=108,
        notes=(
            "B4:4 B4:4 C5:4 D5:4 D5:4 C5:4 B4:4 A4:4 G4:4 G4:4 A4:4 B4:4 B4:6 A4:2 A4:8 "
            "B4:4 B4:4 C5:4 D5:4 D5:4 C5:4 B4:4 A4:4 G4:4 G4:4 A4:4 B4:4 A4:6 G4:2 G4:8 "
            "A4:4 A4:4 B4:4 G4:4 A4:4 B4:2 C5:2 B4:4 G4:4 A4:4 B4:2 C5:2 B4:4 A4:4 G4:4 A4:4 D4:8 "
            "B4:4 B4:4 C5:4 D5:4 D5:4 C5:4 B4:4 A4:4 G4:4 G4:4 A4:4 B4:4 A4:6 G4:2 G4:8"
        ),
    ),
    "twinkle_twinkle": Tune(
        title="Twinkle, Twinkle, Little Star (French folk tune, 1761)",
        qpm=100,
        notes=(
            "G4:4 G4:4 D5:4 D5:4 E5:4 E5:4 D5:8 C5:4 C5:4 B4:4 B4:4 A4:4 A4:4 G4:8 "
            "D5:4 D5:4 C5:4 C5:4 B4:4 B4:4 A4:8 D5:4 D5:4 C5:4 C5:4 B4:4 B4:4 A4:8 "
            "G4:4 G4:4 D5:4 D5:4 E5:4 E5:4 D5:8 C5:4 C5:4 B4:4 B4:4 A4:4 A4:4 G4:8"
        ),
    ),
    "new_world": Tune(
        title="Largo theme (Dvořák, Symphony No. 9 'From the New World', 1893)",
        qpm=60,
        notes=(
            "B4:6 D5:2 D5:8 B4:6 A4:2 G4:8 A4:4 B4:4 D5:4 B4:4 A4:12 r:4 "
            "B4:6 D5:2 D5:8 B4:6 A4:2 G4:8 A4:4 B4:4 A4:4 G4:4 G4:12 r:4"
        ),
    ),
    "greensleeves": Tune(
        title="Greensleeves (English, 16th century)",
        meter=(3, 4),
        pickup=4,
        qpm=96,
        notes=(
            "A4:4 C5:8 D5:4 E5:6 F5:2 E5:4 D5:8 B4:4 G4:6 A4:2 B4:4 C5:8 A4:4 A4:6 G#4:2 A4:4 "
            "B4:8 G#4:4 E4:8 A4:4 C5:8 D5:4 E5:6 F5:2 E5:4 D5:8 B4:4 G4:6 A4:2 B4:4 "
            "C5:6 B4:2 A4:4 G#4:6 F#4:2 G#4:4 A4:12 A4:8"
        ),
    ),
    "ein_feste_burg": Tune(
        title="Ein feste Burg ist unser Gott (Luther, 1529; the isometric form Bach harmonised)",
        pickup=4,
        qpm=80,
        notes=(
            "D5:4 D5:4 D5:4 A4:2 B4:2 C#5:4 D5:2 C#5:2 B4:4 A4:4 D5:4 C#5:4 B4:4 A4:4 B4:4 G4:2 F#4:2 "
            "E4:4 D4:4 D4:4 A4:4 B4:4 A4:4 G#4:4 A4:8 D4:4 A4:4 B4:4 C#5:4 D5:4 C#5:4 D5:2 C#5:2 "
            "B4:4 A4:4 B4:4 B4:4 A4:4 B4:2 A4:2 G4:4 F#4:4 D5:4 C#5:4 B4:4 A4:4 B4:2 A4:2 G4:4 F#4:4 "
            "E4:8 D4:4"
        ),
    ),
}
