#!/usr/bin/env bash
# Start a real single-node Slurm cluster on this machine (localhost only), for tests and trials.
#
#   eval "$(slurm/start_local_cluster.sh [STATE_DIR])"   # exports SLURM_CONF for sbatch/squeue
#   slurm/stop_local_cluster.sh [STATE_DIR]
#
# Needs root and Debian's slurmctld, slurmd, slurm-client and munge (scripts/setup.sh installs
# them). No systemd: munged, slurmctld and slurmd run as plain daemons, all state under STATE_DIR
# (default /tmp/deepchorale-slurm). Accounting is off, so submitit cannot see a cancelled job:
# wait on result files or `squeue` instead.
set -euo pipefail
state=${1:-/tmp/deepchorale-slurm}
say() { echo "$@" >&2; }

for tool in munged slurmctld slurmd sbatch; do
  command -v "$tool" >/dev/null || { say "start_local_cluster: $tool not found (run scripts/setup.sh as root)"; exit 1; }
done
[ "$(id -u)" = 0 ] || { say "start_local_cluster: must run as root (slurmd starts jobs as their users)"; exit 1; }

mkdir -p "$state"/{spool,slurmd,log}
node=$(hostname -s)
hardware=$(slurmd -C | head -n 1)
cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hardware")
memory=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hardware")
cat >"$state/slurm.conf" <<CONF
ClusterName=deepchorale-local
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MailProg=/bin/true
KillWait=5
ReturnToService=2
StateSaveLocation=$state/spool
SlurmdSpoolDir=$state/slurmd
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$state/slurm.conf

if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge /etc/munge /var/lib/munge /var/log/munge
  [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  chown -R munge: /run/munge /etc/munge /var/lib/munge /var/log/munge
  chmod 400 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged
fi
# An earlier cluster's daemons and job steps go first: a clean start restarts job ids at 1, and a
# step left running would report its job's end to the new controller (see stop_local_cluster.sh).
bash "$(dirname "$0")/stop_local_cluster.sh"
sleep 0.5
slurmctld -c -f "$SLURM_CONF" # -c: a clean start, so job ids and state from an old run never leak in
slurmd -f "$SLURM_CONF"

for _ in $(seq 60); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    say "start_local_cluster: Slurm is up on $node ($cpus CPUs); state in $state"
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
say "start_local_cluster: the node did not become idle; see $state/log/"
exit 1
