#!/usr/bin/env bash
# Stop the single-node SLURM cluster started by scripts/slurm_up.sh.
#
#   usage: bash scripts/slurm_down.sh [STATE_DIR]   (default /tmp/cldm-slurm)
#
# Cancels all queued/running jobs (while slurmctld still answers), then stops
# the daemons recorded in STATE_DIR's PID files, compute side first: TERM,
# wait, then KILL; finally kills job steps (slurmstepd sessions) of this
# cluster that outlived slurmd. Daemons already gone are skipped; always exits 0.
# State (job history, accounting database) stays in STATE_DIR for the next
# slurm_up.sh; remove STATE_DIR for a fresh cluster.
set -euo pipefail

STATE_DIR=${1:-/tmp/cldm-slurm}
STATE_DIR=$(realpath -m "$STATE_DIR")
GRACE=${CLDM_SLURM_GRACE:-15}   # seconds between TERM and KILL

# Same layout as slurm_up.sh: "name pidfile", in stop order.
DAEMONS=(
  "slurmd    $STATE_DIR/slurm/slurmd.pid"
  "slurmctld $STATE_DIR/slurm/slurmctld.pid"
  "slurmdbd  $STATE_DIR/slurm/slurmdbd.pid"
  "mariadbd  $STATE_DIR/mysql/mariadbd.pid"
  "munged    $STATE_DIR/munge/munged.pid"
)

# True if PID exists, is not a zombie (PID 1 here does not reap, so a dead
# daemon lingers as Z and `kill -0` still succeeds) and its command is NAME.
is_running() {
  local pid=$1 name=$2 stat state
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  state=${stat##*) }; state=${state%% *}
  [[ $state != Z && $state != X ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]
}

# stop NAME PIDFILE: TERM, wait up to GRACE seconds, then KILL.
stop() {
  local name=$1 pidfile=$2 pid i
  pid=$(cat "$pidfile" 2>/dev/null) || { echo "slurm_down: $name: no PID file"; return 0; }
  if [[ ! $pid =~ ^[0-9]+$ ]] || ! is_running "$pid" "$name"; then
    echo "slurm_down: $name: not running"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < GRACE * 10; i++ )); do
    is_running "$pid" "$name" || break
    sleep 0.1
  done
  if is_running "$pid" "$name"; then
    echo "slurm_down: $name ($pid) ignored TERM for ${GRACE}s, sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  echo "slurm_down: $name ($pid) stopped"
  rm -f "$pidfile"
}

# Cancel every job so nothing keeps running (or restarts with the next
# slurm_up.sh); jobs end up CANCELLED in sacct.
cancel_jobs() {
  local ids i
  scontrol ping >/dev/null 2>&1 || return 0
  ids=$(squeue -h -o %A 2>/dev/null | tr '\n' ' ') || return 0
  [[ -n ${ids// /} ]] || return 0
  echo "slurm_down: cancelling jobs $ids"
  # shellcheck disable=SC2086
  scancel $ids 2>/dev/null || true
  for (( i = 0; i < GRACE * 10; i++ )); do
    [[ -z $(squeue -h -o %A 2>/dev/null) ]] && return 0
    sleep 0.1
  done
  echo "slurm_down: jobs still listed after ${GRACE}s: $(squeue -h -o %A | tr '\n' ' ')"
}

# stat_field PID N: N-th field of /proc/PID/stat after the command name
# (1 = state, 2 = ppid, 3 = pgrp, 4 = session).
stat_field() {
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  read -r -a fields <<<"${stat##*) }"
  echo "${fields[$(( $2 - 1 ))]}"
}

# Kill what is left of job steps: the sessions of slurmstepd processes whose
# working directory is in STATE_DIR (slurmstepd outlives slurmd by design).
kill_stray_steps() {
  local p pid sids=() sid cwd
  for p in /proc/[0-9]*; do
    [[ $(cat "$p/comm" 2>/dev/null) == slurmstepd ]] || continue
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    [[ $cwd == "$STATE_DIR" || $cwd == "$STATE_DIR"/* ]] || continue
    sids+=("$(stat_field "${p#/proc/}" 4)")
  done
  (( ${#sids[@]} )) || return 0
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    sid=$(stat_field "$pid" 4) || continue
    [[ " ${sids[*]} " == *" $sid "* && $(stat_field "$pid" 1) != Z ]] || continue
    echo "slurm_down: killing leftover job process $pid ($(cat "$p/comm" 2>/dev/null))"
    kill -KILL "$pid" 2>/dev/null || true
  done
}

main() {
  local entry
  cancel_jobs || true
  for entry in "${DAEMONS[@]}"; do
    # shellcheck disable=SC2086  # split "name pidfile"
    stop $entry || true
  done
  kill_stray_steps || true
  return 0
}

main "$@"
