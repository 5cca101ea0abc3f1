"""Final cadence on the tonic: does the piece end on its key's tonic chord?"""

from __future__ import annotations

import numpy as np

from deepchorale.data.chorale import REST, Chorale

MAJOR_THIRD, MINOR_THIRD, FIFTH = 4, 3, 7


def final_cadence_on_tonic(chorale: Chorale) -> float:
    """1.0 if the final chord has the tonic in the bass and a tonic-triad tone in the soprano, else 0.0.

    The final chord is the verticality at the last step where the bass sounds; the soprano must
    sound there too. The key is the chorale's own (`key_tonic`, `key_mode`, from the score or from
    `data.key.estimate_key`). Tonic-triad tones: root, fifth and the mode's third; in minor the
    major third too (the Picardy third that ends most of Bach's minor chorales). Ending on the
    dominant (a half cadence), or on a tonic chord in inversion, scores 0.0, as does a piece whose
    bass never sounds.

    Source: the authentic cadence that closes a chorale (e.g. Aldwell & Schachter, *Harmony and
    Voice Leading*, ch. on cadences); Bach's chorales nearly all end on the tonic chord.
    """
    bass_steps = np.flatnonzero(chorale.pitches[3] != REST)
    if bass_steps.size == 0:
        return 0.0
    soprano, bass = chorale.pitches[0, bass_steps[-1]], chorale.pitches[3, bass_steps[-1]]
    if soprano == REST or (bass - chorale.key_tonic) % 12 != 0:
        return 0.0
    thirds = (MAJOR_THIRD,) if chorale.key_mode == "major" else (MINOR_THIRD, MAJOR_THIRD)
    return float((soprano - chorale.key_tonic) % 12 in (0, FIFTH, *thirds))
