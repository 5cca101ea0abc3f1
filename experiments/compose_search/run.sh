#!/usr/bin/env bash
# This folder's campaign: a search over compose's sampler settings on the judge's score, two
# workers on one journal study, then the best setting and the shipped one on three tunes the
# search never saw. Run from anywhere; writes study/ (ignored by git) and results.json.
#   bash experiments/compose_search/run.sh            # TRIALS=20 SECONDS_PER_TRACK=20 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
here=experiments/compose_search
study=$here/study
trials=${TRIALS:-20}
seconds=${SECONDS_PER_TRACK:-20} # short tracks keep a trial near a minute on 2 shared cores
mkdir -p "$study"
for worker in 0 1; do
  .venv/bin/deepchorale search hparams_search=compose search.study_dir="$study" search.n_trials="$trials" \
    search.worker="$worker" "search.overrides=['duration.target_seconds=$seconds']" search.pruning_metric=null \
    >"$study/worker$worker.log" 2>&1 &
done
wait
# Held out: the best trial's setting and the shipped one, on other tunes (one seed each, as in the search).
best=$(.venv/bin/python -c "
import json, sys
from deepchorale.search.space import as_overrides
study = json.load(open('$study/study.json'))
best = max((t for t in study['trials'] if t['state'] == 'complete'), key=lambda t: t['value'])
print(' '.join(as_overrides(best['params'])))")
tunes=melody=twinkle_twinkle,greensleeves,ein_feste_burg
# shellcheck disable=SC2086  # $best is a list of overrides
.venv/bin/deepchorale compose -m $tunes duration.target_seconds="$seconds" $best \
  hydra.sweep.dir="$study/held_out/best" >"$study/held_out_best.log" 2>&1 &
.venv/bin/deepchorale compose -m $tunes duration.target_seconds="$seconds" \
  hydra.sweep.dir="$study/held_out/shipped" >"$study/held_out_shipped.log" 2>&1 &
wait
.venv/bin/python "$here/summarize.py" "$study" "$here/results.json"
