"""Major mode: the mode of the piece as a number, a descriptor for emotional resonance."""

from __future__ import annotations

from deepchorale.data.chorale import Chorale


def major_mode(chorale: Chorale) -> float:
    """1.0 for a piece in a major key, 0.0 for minor (`chorale.key_mode`).

    A descriptor, not a quality score; averaged over a set it is the share of major-mode pieces.

    Source: mode as the strongest structural cue of happy vs sad, Hevner, "The affective character
    of the major and minor modes in music", American Journal of Psychology 47(1), 1935; Gabrielsson &
    Lindström, "The role of structure in the musical expression of emotions", 2010.
    """
    return float(chorale.key_mode == "major")
