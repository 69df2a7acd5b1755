#!/usr/bin/env bash
# Bring up a single-node SLURM cluster ("cldm") on this machine, with
# accounting (MariaDB + slurmdbd) so that `sacct` works.
#
#   usage: bash scripts/cluster/slurm_up.sh [STATE_DIR]     (default /tmp/cldm-slurm)
#
# Written for Debian 12 (slurm-wlm 22.05) without systemd: every daemon is
# started directly; logs, PID files and state live under STATE_DIR, the
# configuration in /etc/slurm (where the client commands look for it).
# Idempotent: if everything is already up it only reports and exits 0.
# Stop with scripts/cluster/slurm_down.sh [STATE_DIR].
set -euo pipefail

STATE_DIR=${1:-/tmp/cldm-slurm}
STATE_DIR=$(realpath -m "$STATE_DIR")
CLUSTER=cldm
PARTITION=debug
HOST=$(hostname -s)
DB_PORT=${CLDM_SLURM_DB_PORT:-3306}
DB_PASS=cldm-slurm-db         # local-only (bound to 127.0.0.1) test database
TIMEOUT=${CLDM_SLURM_TIMEOUT:-60}   # seconds to wait for each daemon
PACKAGES=(slurm-wlm slurmdbd munge mariadb-server)

MUNGE_DIR=$STATE_DIR/munge     # owned by munge
DB_DIR=$STATE_DIR/mysql        # owned by mysql
SLURM_DIR=$STATE_DIR/slurm     # owned by root (SlurmUser=root)
DB_CNF=$DB_DIR/my.cnf
DB_SOCK=$DB_DIR/mysqld.sock

# PID file and log file of each daemon (slurm_down.sh uses the same paths).
declare -A PIDFILE=(
  [munged]=$MUNGE_DIR/munged.pid
  [mariadbd]=$DB_DIR/mariadbd.pid
  [slurmdbd]=$SLURM_DIR/slurmdbd.pid
  [slurmctld]=$SLURM_DIR/slurmctld.pid
  [slurmd]=$SLURM_DIR/slurmd.pid
)
declare -A LOGFILE=(
  [munged]=$MUNGE_DIR/munged.log
  [mariadbd]=$DB_DIR/mariadb.log
  [slurmdbd]=$SLURM_DIR/slurmdbd.log
  [slurmctld]=$SLURM_DIR/slurmctld.log
  [slurmd]=$SLURM_DIR/slurmd.log
)
# stdout/stderr of each daemon's start command (early errors land here)
declare -A OUTFILE=(
  [munged]=$MUNGE_DIR/munged.out
  [mariadbd]=$DB_DIR/mariadbd.out
  [slurmdbd]=$SLURM_DIR/slurmdbd.out
  [slurmctld]=$SLURM_DIR/slurmctld.out
  [slurmd]=$SLURM_DIR/slurmd.out
)

T0=${EPOCHREALTIME/./}
log() {
  local ds=$(( (${EPOCHREALTIME/./} - T0) / 100000 ))   # tenths of a second
  printf '[slurm_up %3d.%ds] %s\n' $((ds / 10)) $((ds % 10)) "$*"
}

# Print an error with the tail of a daemon's logs, then exit 1.
die() {
  local msg=$1 name=${2:-} f
  echo "slurm_up: ERROR: $msg" >&2
  if [[ -n $name ]]; then
    for f in "${OUTFILE[$name]}" "${LOGFILE[$name]}"; do
      [[ -s $f ]] || continue
      echo "---- last lines of $f ----" >&2
      tail -n 25 "$f" >&2
    done
    echo "----" >&2
  fi
  echo "slurm_up: daemons already started keep running; stop them with scripts/cluster/slurm_down.sh $STATE_DIR" >&2
  exit 1
}

# True if the process in NAME's PID file exists, is not a zombie (PID 1 here
# does not reap, so `kill -0` alone is not enough) and is really NAME.
is_running() {
  local name=$1 pid stat state
  pid=$(cat "${PIDFILE[$name]}" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  state=${stat##*) }; state=${state%% *}
  [[ $state != Z && $state != X ]] || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]]
}

# wait_for NAME DESCRIPTION CMD...: poll CMD until it succeeds; fail if the
# daemon NAME has died (checked after a 3 s grace for its PID file to appear)
# or after TIMEOUT seconds.
wait_for() {
  local name=$1 what=$2; shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - start >= 3 )) && ! is_running "$name"; then
      die "$name is not running (while waiting for $what)" "$name"
    fi
    (( SECONDS - start < TIMEOUT )) || die "timeout (${TIMEOUT}s) waiting for $what" "$name"
    sleep 0.2
  done
}

# ---------------------------------------------------------------- packages --
install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  (( ${#missing[@]} )) || return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # refresh the package lists only if apt does not know a candidate version
  if apt-cache policy "${missing[@]}" 2>/dev/null | grep -q 'Candidate: (none)' \
     || [[ $(apt-cache policy "${missing[@]}" 2>/dev/null | grep -c Candidate) -lt ${#missing[@]} ]]; then
    apt-get update -q
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
}

# ------------------------------------------------------------------ config --
# Write FILE (mode MODE) from stdin only if its content changed; changed
# files are recorded in CHANGED.
CHANGED=()
write_if_changed() {
  local file=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if ! cmp -s "$tmp" "$file"; then
    install -m "$mode" -o root -g root "$tmp" "$file"
    CHANGED+=("$file")
  fi
  rm -f "$tmp"
}

make_dirs() {
  mkdir -p "$STATE_DIR" "$SLURM_DIR/ctld" "$SLURM_DIR/spool" "$DB_DIR" "$MUNGE_DIR" /run/munge /etc/slurm
  chmod 755 "$STATE_DIR"
  chown munge:munge /run/munge "$MUNGE_DIR"; chmod 755 /run/munge; chmod 700 "$MUNGE_DIR"
  chown mysql:mysql "$DB_DIR"; chmod 750 "$DB_DIR"
}

write_configs() {
  local node mem cpus
  # node line as slurmd detects it, e.g. "NodeName=vm CPUs=2 ... RealMemory=24105"
  node=$(slurmd -C | head -n 1 | sed -E "s/^NodeName=[^ ]+/NodeName=$HOST/")
  cpus=$(sed -E 's/.* CPUs=([0-9]+).*/\1/' <<<"$node")
  mem=$(sed -E 's/.* RealMemory=([0-9]+).*/\1/' <<<"$node")

  write_if_changed /etc/slurm/slurm.conf 644 <<EOF
# Generated by scripts/cluster/slurm_up.sh (state in $STATE_DIR) - do not edit.
ClusterName=$CLUSTER
SlurmctldHost=$HOST
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$SLURM_DIR/ctld
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=${PIDFILE[slurmctld]}
SlurmdPidFile=${PIDFILE[slurmd]}
SlurmctldLogFile=${LOGFILE[slurmctld]}
SlurmdLogFile=${LOGFILE[slurmd]}
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups on this machine
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
MpiDefault=none
MailProg=/bin/true
# consumable CPUs + memory: several 1-CPU jobs share the node; a job without
# --mem gets RealMemory/CPUs per CPU (memory is booked, not enforced)
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=$(( mem / cpus ))
# fast turnaround for a test cluster
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=1,sched_min_interval=100000
MinJobAge=600
KillWait=5
InactiveLimit=0
Waittime=0
SlurmctldTimeout=30
SlurmdTimeout=60
ReturnToService=2
# reject jobs that can never run here (e.g. more CPUs than the node) at submit
EnforcePartLimits=ALL
# accounting through slurmdbd -> MariaDB (sacct)
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=$HOST
JobCompType=jobcomp/none
$node State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF

  # slurmdbd refuses a slurmdbd.conf that is readable by others
  write_if_changed /etc/slurm/slurmdbd.conf 600 <<EOF
# Generated by scripts/cluster/slurm_up.sh - do not edit.
AuthType=auth/munge
DbdHost=$HOST
SlurmUser=root
PidFile=${PIDFILE[slurmdbd]}
LogFile=${LOGFILE[slurmdbd]}
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF

  write_if_changed "$DB_CNF" 644 <<EOF
[client]
socket=$DB_SOCK
[mysqld]
datadir=$DB_DIR/data
socket=$DB_SOCK
pid-file=${PIDFILE[mariadbd]}
log-error=${LOGFILE[mariadbd]}
port=$DB_PORT
bind-address=127.0.0.1
skip-name-resolve
innodb_buffer_pool_size=128M
innodb_log_file_size=32M
innodb_lock_wait_timeout=900
EOF
}

# ----------------------------------------------------------------- daemons --
start_munge() {
  if is_running munged || munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  if [[ ! -s /etc/munge/munge.key ]]; then
    log "creating /etc/munge/munge.key"
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null \
      || dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  chown munge:munge /etc/munge /etc/munge/munge.key
  chmod 700 /etc/munge; chmod 400 /etc/munge/munge.key
  log "starting munged"
  rm -f "${PIDFILE[munged]}"
  runuser -u munge -- /usr/sbin/munged --pid-file="${PIDFILE[munged]}" \
    --log-file="${LOGFILE[munged]}" --seed-file="$MUNGE_DIR/munged.seed" \
    </dev/null >>"${OUTFILE[munged]}" 2>&1 || die "munged failed to start" munged
  wait_for munged "munge credentials" bash -c 'munge -n | unmunge'
}

start_mariadb() {
  if ! is_running mariadbd; then
    if [[ ! -d $DB_DIR/data/mysql ]]; then
      log "initialising MariaDB datadir $DB_DIR/data"
      mariadb-install-db --defaults-file="$DB_CNF" --user=mysql --skip-test-db \
        --auth-root-authentication-method=socket >>"$DB_DIR/install.log" 2>&1 \
        || { tail -n 25 "$DB_DIR/install.log" >&2; die "mariadb-install-db failed"; }
    fi
    log "starting mariadbd (port $DB_PORT)"
    rm -f "${PIDFILE[mariadbd]}"
    setsid -f /usr/sbin/mariadbd --defaults-file="$DB_CNF" --user=mysql \
      </dev/null >>"${OUTFILE[mariadbd]}" 2>&1
  fi
  wait_for mariadbd "MariaDB to answer" mariadb-admin --defaults-file="$DB_CNF" -uroot ping
  mariadb --defaults-file="$DB_CNF" -uroot <<EOF || die "creating the slurm_acct_db database/user failed" mariadbd
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF
}

# start_slurm_daemon NAME: the slurm daemons fork into the background themselves.
start_slurm_daemon() {
  local name=$1
  is_running "$name" && return 0
  log "starting $name"
  rm -f "${PIDFILE[$name]}"
  "/usr/sbin/$name" </dev/null >>"${OUTFILE[$name]}" 2>&1 || die "$name failed to start" "$name"
}

# Register the cluster in the accounting database; this also creates the
# "root" account with a root user association, which is all jobs need here.
register_cluster() {
  [[ -n $(sacctmgr -n -P show cluster "$CLUSTER" format=cluster 2>/dev/null) ]] && return 0
  log "registering cluster $CLUSTER"
  sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr add cluster failed" slurmdbd
}

node_ready() { [[ $(sinfo -h -n "$HOST" -p "$PARTITION" -o %t 2>/dev/null) =~ ^(idle|mix|alloc)$ ]]; }
sacct_ready() { sacct -n -X -S now-1minutes >/dev/null 2>&1; }

all_up() {
  local d
  for d in munged mariadbd slurmdbd slurmctld slurmd; do is_running "$d" || return 1; done
  node_ready && sacct_ready
}

# -------------------------------------------------------------------- main --
main() {
  [[ $EUID -eq 0 ]] || die "must run as root"
  install_packages     # only dpkg-query when everything is installed
  make_dirs
  write_configs

  if all_up; then
    if [[ " ${CHANGED[*]} " == *" /etc/slurm/slurm.conf "* ]]; then
      log "slurm.conf changed: scontrol reconfigure"
      scontrol reconfigure || die "scontrol reconfigure failed" slurmctld
      wait_for slurmd "node $HOST to become idle" node_ready
    fi
    (( ${#CHANGED[@]} == 0 )) || log "updated: ${CHANGED[*]}"
    log "cluster $CLUSTER already up (state in $STATE_DIR)"
    sinfo
    return 0
  fi

  start_munge
  start_mariadb
  start_slurm_daemon slurmdbd
  wait_for slurmdbd "slurmdbd to answer" sacctmgr -n show cluster
  register_cluster
  start_slurm_daemon slurmctld
  wait_for slurmctld "slurmctld to answer" scontrol ping
  start_slurm_daemon slurmd
  wait_for slurmd "node $HOST to become idle (see: sinfo -R)" node_ready
  wait_for slurmctld "sacct to answer" sacct_ready

  log "cluster $CLUSTER up (state, logs, PID files in $STATE_DIR)"
  sinfo
}

main "$@"
