"""Export the winner as the submission bundle: its track's files under the submission's name.

The bundle is assembled in a hidden folder beside the target and renamed into place only once
complete, so a failure never leaves a partial bundle where a reader expects one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from deepchorale.selection.leaderboard import Entry, track_folder


def bundle_name(fullname: str, company: str, genre: str) -> str:
    """`<fullname>-<company>-<genre>`, each part lower-cased with runs of other characters as one dash
    (compose names its bundle the same way, so the defaults give the same folder name)."""
    return "-".join(
        re.sub(r"[^a-z0-9]+", "-", part.lower()).strip("-") for part in (fullname, company, genre)
    )


def export_bundle(winner: Entry, output_dir: Path, name: str) -> Path | None:
    """Copy the winner's track (audio, MIDI, MusicXML, piano roll, results.json) and the run's
    resolved config.yaml into `output_dir/name`; files named after the run's bundle are renamed
    after `name`. None when the winner has no track (a train run, a compose run without its bundle)."""
    track = track_folder(winner.run)
    if track is None:
        return None
    bundle = output_dir / name
    staging = output_dir / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for source in sorted(track.iterdir()):
            if source.is_file():
                target = f"{name}{source.suffix}" if source.stem == track.name else source.name
                shutil.copy2(source, staging / target)
        config = winner.run.folder / "config.yaml"
        if config.is_file():
            shutil.copy2(config, staging / "config.yaml")
        shutil.rmtree(bundle, ignore_errors=True)
        staging.rename(bundle)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return bundle
