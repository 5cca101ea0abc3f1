#!/usr/bin/env bash
# Set up a fresh checkout: Debian packages (when root), then .venv with torch==2.13.0 and the
# project at the versions constraints.txt pins. Idempotent: a second run only checks, in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# FluidSynth and a General MIDI soundfont render audio (W&B samples, compose's WAV/FLAC);
# MuseScore 3 engraves compose's score as PDF; Slurm and munge run the single-node test cluster
# (slurm/start_local_cluster.sh); headless Chromium opens select's report.html in its test.
DEBIAN_PACKAGES=(fluidsynth libfluidsynth3 timgm6mb-soundfont musescore3 slurmctld slurmd slurm-client munge chromium)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: skipping Debian packages ${missing[*]} (not root or no apt-get); audio rendering and the score PDF need them"
  fi
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: error: $PYTHON is older than Python 3.11 (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

# Reinstall only when the project's dependencies or their pinned versions change.
stamp=.venv/.deepchorale-installed
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: installing torch==2.13.0 (CPU wheel) and deepchorale into .venv"
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt torch==2.13.0 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c 'import deepchorale.cli, torch, lightning, hydra, music21' # fail loudly if the install did not
  echo "$wanted" >"$stamp"
fi
