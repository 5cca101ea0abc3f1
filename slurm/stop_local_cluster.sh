#!/usr/bin/env bash
# Stop the cluster started by start_local_cluster.sh, its jobs first (munged is left running: it is
# harmless):   slurm/stop_local_cluster.sh [STATE_DIR]   (or with SLURM_CONF exported)
#
# Every job is cancelled and every job step daemon (slurmstepd) ended with its processes. A step
# daemon left behind outlives its controller and keeps retrying to report its job's end; once a new
# cluster listens on the same port, with job ids restarted at 1, the report reaches the new
# controller, which then ends that cluster's job of the same number (a search worker, mid-trial).
set -u
state=${1:-}
if [ -n "$state" ] && [ -f "$state/slurm.conf" ]; then
  export SLURM_CONF=$state/slurm.conf
fi

kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill -9 "$1" 2>/dev/null
}

if [ -n "${SLURM_CONF:-}" ] && pgrep -x slurmctld >/dev/null; then
  jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086  # one argument per job id
    scancel $jobs 2>/dev/null
  fi
  for _ in $(seq 30); do # KillWait is 5 s: the steps end well inside 15 s
    pgrep -x slurmstepd >/dev/null || break
    sleep 0.5
  done
fi
pkill -x slurmd 2>/dev/null
pkill -x slurmctld 2>/dev/null
for _ in $(seq 20); do # gone (zombies aside) before a new cluster may take their port
  ps -eo stat=,comm= | awk '$1 !~ /^Z/ && ($2 == "slurmd" || $2 == "slurmctld") { alive = 1 } END { exit !alive }' || break
  sleep 0.5
done
for stepd in $(pgrep -x slurmstepd); do
  kill_tree "$stepd"
done
exit 0
