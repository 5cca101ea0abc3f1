#!/usr/bin/env bash
# Stop the cluster started by start_local_cluster.sh (munged is left running: it is harmless).
set -u
pkill -x slurmd 2>/dev/null
pkill -x slurmctld 2>/dev/null
exit 0
