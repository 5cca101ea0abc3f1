"""A small, fast MusicXML reader: just what a chorale needs, about 7x faster than music21.

music21 builds a full object model (0.04-0.2 s a score); for the corpus we only need, per part,
the notes with their onsets, durations, ties and fermatas, plus meter and pickup. This reader
walks the XML once with the C ElementTree. Its output is checked note for note against music21
in tests/data/test_musicxml.py, so music21 stays the reference.

Handled: <divisions>, <backup>/<forward>, chords (only the first note of a chord is kept, a
voice is monophonic), grace and cue notes (skipped: they take no time), ties, fermatas,
multi-voice parts (only the part's first voice), pickup measures. Not handled: repeats are not
unfolded (as in music21's default parse).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

# The largest score this reader takes, unpacked: a long orchestral MusicXML is a few MB, Bach's chorales
# 100 KB. A 1.5 MB .mxl can unpack to 1.5 GB (and its XML tree to several times that): refused first.
MAX_SCORE_BYTES = 64 * 2**20
STEP_SEMITONES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


class MusicXMLError(ValueError):
    """The file is not a MusicXML score this reader can use; the message is the reason (without the
    file's name, which the caller adds where it needs it)."""


@dataclass
class PartNote:
    onset: Fraction  # in quarter notes from the start of the piece
    duration: Fraction  # in quarter notes
    pitch: int  # MIDI number
    tie_continues: bool  # True when tied from the previous note (not a new onset)
    fermata: bool


@dataclass
class Part:
    name: str
    notes: list[PartNote] = field(default_factory=list)


@dataclass
class Score:
    """A score of any format in quarter notes: this reader fills parts, meter and pickup; the MIDI
    reader of `data/scores.py` also what only MIDI files say."""

    parts: list[Part]
    meter: tuple[int, int] | None
    pickup: Fraction  # quarter notes before the first full bar
    key: tuple[int, str] | None = None  # (tonic, mode) of a MIDI key signature; None: estimate it
    qpm: float | None = None  # the tempo a MIDI file gives
    # (onset, end) of fermatas marked outside the notes (MIDI text events)
    fermatas: list[tuple[Fraction, Fraction]] = field(default_factory=list)
    performed: bool = False  # MIDI: durations as played (staccato shortens them), not as written


def _unpacked(archive: zipfile.ZipFile, name: str) -> bytes:
    """A file of the archive, read no further than `MAX_SCORE_BYTES` (its stated size may lie)."""
    with archive.open(name) as member:
        data = member.read(MAX_SCORE_BYTES + 1)
    if len(data) > MAX_SCORE_BYTES:
        raise MusicXMLError(f"compressed MusicXML unpacks to more than {MAX_SCORE_BYTES // 2**20} MB")
    return data


def _rootfile(archive: zipfile.ZipFile) -> str:
    """The score inside a .mxl: named by META-INF/container.xml, else its first .xml/.musicxml."""
    names = archive.namelist()
    if "META-INF/container.xml" in names:
        rootfile = ET.fromstring(_unpacked(archive, "META-INF/container.xml")).find(".//rootfile")
        if rootfile is not None and rootfile.get("full-path") in names:
            return rootfile.get("full-path")
    scores = [n for n in names if n.endswith((".xml", ".musicxml")) and not n.startswith("META-INF")]
    if not scores:
        raise MusicXMLError("compressed MusicXML without a score file")
    return scores[0]


def _read_root(path: Path) -> ET.Element:
    try:
        if path.suffix.lower() == ".mxl":
            with zipfile.ZipFile(path) as archive:
                return ET.fromstring(_unpacked(archive, _rootfile(archive)))
        if path.stat().st_size > MAX_SCORE_BYTES:
            raise MusicXMLError(f"MusicXML of more than {MAX_SCORE_BYTES // 2**20} MB")
        return ET.parse(path).getroot()
    except (ET.ParseError, zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as error:
        raise MusicXMLError(f"unreadable MusicXML ({error})") from error


def _pitch(note: ET.Element) -> int:
    pitch = note.find("pitch")
    alter = pitch.findtext("alter")
    semitone = STEP_SEMITONES[pitch.findtext("step").strip()]
    return 12 * (int(pitch.findtext("octave")) + 1) + semitone + round(float(alter or 0))


def _read_part(part: ET.Element, name: str) -> tuple[Part, tuple[int, int] | None, Fraction]:
    result = Part(name)
    divisions = 1
    measure_start = Fraction(0)
    meter: tuple[int, int] | None = None
    first_measure_length = Fraction(0)
    first_voice: str | None = None
    for index, measure in enumerate(part.iter("measure")):
        position = Fraction(0)
        longest = Fraction(0)
        for element in measure:
            tag = element.tag
            if tag == "attributes":
                divisions = int(element.findtext("divisions") or divisions)
                time = element.find("time")
                if meter is None and time is not None and time.findtext("beats"):
                    meter = (int(time.findtext("beats")), int(time.findtext("beat-type")))
            elif tag == "backup":
                position -= Fraction(int(element.findtext("duration")), divisions)
            elif tag == "forward":
                position += Fraction(int(element.findtext("duration")), divisions)
            elif tag == "note":
                if element.find("grace") is not None or element.find("cue") is not None:
                    continue
                duration = Fraction(int(element.findtext("duration") or 0), divisions)
                if element.find("chord") is not None:
                    continue  # same onset as the previous note: voices are monophonic
                voice = element.findtext("voice") or "1"
                first_voice = first_voice or voice
                if (
                    voice == first_voice
                    and element.find("rest") is None
                    and element.find("pitch") is not None
                ):
                    ties = {tie.get("type") for tie in element.findall("tie")}
                    result.notes.append(
                        PartNote(
                            onset=measure_start + position,
                            duration=duration,
                            pitch=_pitch(element),
                            tie_continues="stop" in ties,
                            fermata=element.find("notations/fermata") is not None,
                        )
                    )
                position += duration
            longest = max(longest, position)
        if index == 0:
            first_measure_length = longest
        measure_start += longest
    bar = Fraction(4 * meter[0], meter[1]) if meter else None
    pickup = first_measure_length if bar and 0 < first_measure_length < bar else Fraction(0)
    return result, meter, pickup


def read_musicxml(path: str | Path) -> Score:
    """Read a .xml/.musicxml/.mxl score into parts of notes with exact (fractional) timing."""
    path = Path(path)
    root = _read_root(path)
    if root.tag != "score-partwise":
        raise MusicXMLError(f"not a partwise MusicXML score (root <{root.tag}>)")
    names = {
        score_part.get("id"): (score_part.findtext("part-name") or "").strip()
        for score_part in root.iter("score-part")
    }
    parts, meter, pickup = [], None, Fraction(0)
    for element in root.findall("part"):
        part, part_meter, part_pickup = _read_part(element, names.get(element.get("id"), ""))
        parts.append(part)
        if meter is None:
            meter, pickup = part_meter, part_pickup
    return Score(parts=parts, meter=meter, pickup=pickup)
