"""Export the winner as the submission bundle: its track's files under the submission's name, with
the run's record and config beside them, so the folder stands on its own.

The bundle is assembled in a hidden folder beside the target and renamed into place only once
complete, so a failure never leaves a partial bundle where a reader expects one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from deepchorale.atomic import atomic_folder
from deepchorale.run_records import RESULTS
from deepchorale.selection.leaderboard import Entry, track_folder

TRACK_RECORD = "track.json"  # what `compose suite=...` writes beside each track's bundle


def export_submission(winner: Entry, output_dir: Path, name: str) -> Path | None:
    """Copy the winner's track (audio, MIDI, MusicXML, piano roll), the run's results.json and
    resolved config.yaml, and for a suite run the track's own `track.json`, into `output_dir/name`;
    files named after the run's bundle are renamed after `name`. None when the winner has no track
    (a train run, a compose run without its bundle)."""
    track = track_folder(winner.run)
    if track is None:
        return None
    bundle = output_dir / name
    with atomic_folder(bundle) as staging:
        for source in sorted(track.iterdir()):
            if source.is_file():
                target = f"{name}{source.suffix}" if source.stem == track.name else source.name
                shutil.copy2(source, staging / target)
        for record in (RESULTS, "config.yaml"):
            if (winner.run.folder / record).is_file():
                shutil.copy2(winner.run.folder / record, staging / record)
        if (track.parent / TRACK_RECORD).is_file():  # a suite run's figures of this one track
            shutil.copy2(track.parent / TRACK_RECORD, staging / TRACK_RECORD)
    return bundle
