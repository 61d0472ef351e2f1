#!/usr/bin/env bash
# PostgreSQL and RabbitMQ for development, tests and the quick start.
#
#   scripts/services.sh up      start both (or reuse ones already listening), write .run/services.env
#   scripts/services.sh down    release this checkout's hold; stop what these scripts started once nobody holds it
#   scripts/services.sh status  what runs, who started it, who holds it
#   scripts/services.sh install install the Debian packages the private instances and the browser test need (root),
#                               and the test identity provider's npm packages (scripts/oidc/install.sh)
#   scripts/services.sh standby up|down|status
#                               a streaming hot standby of the private PostgreSQL on 127.0.0.1:24330 (pg_basebackup
#                               -R -X stream) for reports and exports; up adds ConnectionStrings__OutcomesRead to
#                               .run/services.env. The primary must be up. `down` of the primary stops it too.
#   scripts/services.sh cluster up [NODE]|down|status
#                               three joined RabbitMQ nodes on this machine (outcomes-a/b/c@localhost, AMQP
#                               26741-26743, management 26761-26763); up adds OUTCOMES_RABBITMQ_CLUSTER (the
#                               nodes as comma-separated amqp URIs, for ConnectionStrings__RabbitMq) to .run/services.env;
#                               up a|b|c starts that node alone if it is down (a test keeping another one down);
#                               quorum-status QUEUE prints each member's Raft state and indexes as JSON.
#
# Options: --lease NAME [--pid PID] (up/down: name the hold; a hold with a pid ends with that
# process), --force (down: stop even while other checkouts hold the services).
#
# Without a Docker engine the services are private instances of the distribution's packages,
# their files under .run/. The ports are machine-wide, so every checkout on the machine shares
# one instance: the shared bookkeeping (who started it, who holds it, the Erlang cookie) lives in
# $OUTCOMES_SERVICES_STATE (default /tmp/outcomes-services) and a lock there serialises up/down.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
RUN="$REPO/.run"
LOGS="$RUN/logs"
ENV_FILE="$RUN/services.env"
COMPOSE_FILE="$REPO/docker-compose.yml"

# Every port is below 32768, outside Linux's default ephemeral range (32768-60999): a port in that range can be
# taken at any moment as the local end of some outgoing connection (a test's, a pool's), and a node then fails to
# start with "port already in use" (a CI run lost a cluster node's distribution port 56752 that way).
PG_PORT=24329
STANDBY_PORT=24330
AMQP_PORT=26729
DIST_PORT=26730
MGMT_PORT=26731
NODE=outcomes@localhost
# PostgreSQL's defaults suit a machine of the 1990s: with 128 MB of shared buffers and 1 GB of WAL between checkpoints,
# a backfill of the M tier checkpointed every 4-6 s (each page's first change after a checkpoint goes to the WAL whole)
# and read its indexes through the kernel's cache; and every course document (a course's facts, 3-4 KB of JSON) is
# compressed as it is stored, which lz4 does several times faster than the default pglz. These are what any server
# holding the event store would set (docs/scaling.md); docker-compose.yml passes the same.
PG_TUNING="-c shared_buffers=1GB -c max_wal_size=4GB -c checkpoint_timeout=15min -c default_toast_compression=lz4"
PGBIN=/usr/lib/postgresql/15/bin
RMQBIN=/usr/lib/rabbitmq/bin

STATE="${OUTCOMES_SERVICES_STATE:-/tmp/outcomes-services}"
REPO_ID="$(printf '%s' "$REPO" | sha1sum | cut -c1-12)"
CHECKOUT="$(basename "$REPO" | tr -c "A-Za-z0-9._\n-" _)-$REPO_ID"
PG_FALLBACK="/tmp/outcomes-pg-$REPO_ID"

# Output may go to a pipe whose reader is gone (Ctrl-C on `... | tee`): keep going regardless.
say() { printf '%s\n' "$*" 2>/dev/null || true; }
die() { printf 'services: %s\n' "$*" >&2 2>/dev/null || true; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

port_listened() { # port_listened PORT: some socket on this machine listens on it
    local hex
    hex="$(printf '%04X' "$1")"
    awk -v h=":$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == h { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

need_free_ports() { # need_free_ports WHAT PORT...: wait briefly for a listener to go (a node just killed), then stop naming the port
    local what="$1" p deadline; shift
    deadline=$(( $(date +%s) + 10 ))
    for p in "$@"; do
        while port_listened "$p"; do
            [ "$(date +%s)" -ge "$deadline" ] && die "$what: port $p is already in use on this machine (a program these scripts did not start listens on it); free it and retry"
            sleep 0.2
        done
    done
}

is_root() { [ "$(id -u)" = 0 ]; }

# initdb and the postmaster refuse to run as root.
as_pg() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

kv() { # kv FILE KEY: the value of KEY=... in FILE
    sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n1
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# ---------------------------------------------------------------- packages

install_packages() {
    local missing=()
    [ -x "$RMQBIN/rabbitmq-server" ] || missing+=(rabbitmq-server)
    [ -x "$PGBIN/initdb" ] || missing+=(postgresql-15)
    # The dashboard's browser test drives Debian's Chromium; only `install` asks for it, `up` needs no browser.
    if [ "${1:-}" = --with-browser ] && [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
    # The sign-in tests run a real OpenID provider on Node.js (scripts/oidc).
    if [ "${1:-}" = --with-browser ] && ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
    [ ${#missing[@]} -eq 0 ] && return 0
    is_root || die "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
    say "installing ${missing[*]} (apt-get; log in .run/logs/apt.log)"
    mkdir -p "$LOGS"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get -o DPkg::Lock::Timeout=900 update &&
           apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=900 "${missing[@]}"; } \
           >>"$LOGS/apt.log" 2>&1; then
        tail -n 30 "$LOGS/apt.log" >&2
        die "apt-get install ${missing[*]} failed"
    fi
}

# ---------------------------------------------------------------- mode

services_mode() {
    case "${OUTCOMES_SERVICES:-}" in
        local|docker) echo "$OUTCOMES_SERVICES"; return ;;
    esac
    if command -v docker >/dev/null 2>&1 && timeout 15 docker info >/dev/null 2>&1 && compose_cmd >/dev/null; then
        echo docker
    else
        echo local
    fi
}

# ---------------------------------------------------------------- holds (leases)

lease_path() { echo "$STATE/leases/$1"; }

lease_take() { # lease_take NAME PID
    mkdir -p "$STATE/leases"
    printf 'repo=%s\npid=%s\n' "$REPO" "$2" >"$(lease_path "$1")"
}

lease_drop() { rm -f "$(lease_path "$1")"; }

lease_stale() { # a hold whose process ended, or whose checkout is gone, holds nothing
    local f="$1" pid repo
    pid="$(kv "$f" pid)"; repo="$(kv "$f" repo)"
    if [ -n "$pid" ] && ! pid_alive "$pid"; then return 0; fi
    [ -n "$repo" ] && [ ! -d "$repo" ]
}

live_leases() { # one line per live hold: NAME (CHECKOUT)
    local f
    for f in "$STATE"/leases/*; do
        [ -e "$f" ] || continue
        if lease_stale "$f"; then rm -f "$f"; else printf '%s (%s)\n' "$(basename "$f")" "$(kv "$f" repo)"; fi
    done
}

# ---------------------------------------------------------------- PostgreSQL

pg_datadir() {
    local recorded
    recorded="$(cat "$RUN/pg.location" 2>/dev/null || true)"
    # Trust the record only if it names this checkout's place (a copied .run/ names another's).
    if [ "$recorded" = "$RUN/pg" ] || [ "$recorded" = "$PG_FALLBACK/data" ]; then echo "$recorded"; return; fi
    local dir="$RUN/pg"
    # The postmaster runs as postgres; it must reach the data dir through every parent
    # (a checkout under /root is not traversable by other users).
    if is_root && ! runuser -u postgres -- sh -c 'cd "$1"' _ "$RUN" 2>/dev/null; then
        dir="$PG_FALLBACK/data"
    fi
    echo "$dir" >"$RUN/pg.location"
    echo "$dir"
}

pg_psql() {
    local psql=psql
    [ -x "$PGBIN/psql" ] && psql="$PGBIN/psql"
    "$psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

pg_ensure_db() {
    local i
    for i in $(seq 1 30); do
        pg_psql -d postgres -c 'select 1' >/dev/null 2>&1 && break
        sleep 1
    done
    if [ "$(pg_psql -d postgres -c "select 1 from pg_database where datname = 'outcomes'")" != 1 ]; then
        pg_psql -d postgres -c 'create database outcomes' >/dev/null 2>&1 ||
            [ "$(pg_psql -d postgres -c "select 1 from pg_database where datname = 'outcomes'")" = 1 ] ||
            die "could not create database outcomes"
    fi
}

pg_postmaster() { # the pid in DATA/postmaster.pid, if that process is the postmaster of DATA
    local pid
    pid="$(head -n1 "$1/postmaster.pid" 2>/dev/null || true)"
    [ -n "$pid" ] || return 0
    case "$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" in
        *" -D $1 "*) echo "$pid" ;;
    esac
}

pg_up_local() {
    local t0 data sock log pidfile pid
    t0="$(now)"
    if port_open "$PG_PORT"; then
        if [ -f "$STATE/postgres" ]; then
            say "postgres: already running on 127.0.0.1:$PG_PORT (started from $(kv "$STATE/postgres" repo))"
        else
            say "postgres: reusing the server already listening on 127.0.0.1:$PG_PORT (not started by these scripts; down leaves it)"
        fi
        pg_ensure_db
        return
    fi
    rm -f "$STATE/postgres"
    [ -x "$PGBIN/initdb" ] || install_packages
    data="$(pg_datadir)"
    sock="$data"
    # A Unix socket path must stay under ~107 bytes.
    [ ${#sock} -gt 80 ] && sock="$PG_FALLBACK/sock"
    if [ "${data#"$PG_FALLBACK"}" != "$data" ]; then
        log="$PG_FALLBACK/postgres.log"
        ln -sfn "$data" "$RUN/pg"
    else
        log="$LOGS/postgres.log"
    fi
    mkdir -p "$data" "$sock" "$(dirname "$log")"
    touch "$log"
    if is_root; then
        [ "${data#"$PG_FALLBACK"}" != "$data" ] && chown postgres: "$PG_FALLBACK"
        chown postgres: "$data" "$sock" "$log"
    fi
    chmod 700 "$data"
    [ "$log" = "$LOGS/postgres.log" ] || ln -sfn "$log" "$LOGS/postgres.log"

    if [ ! -s "$data/PG_VERSION" ]; then
        as_pg "$PGBIN/initdb" -D "$data" --auth=trust -U postgres -E UTF8 --no-locale \
            >"$LOGS/initdb.log" 2>&1 || { cat "$LOGS/initdb.log" >&2; die "initdb failed"; }
    fi

    # A postmaster.pid left by a killed server blocks the start when its pid now belongs to
    # another process; a live postmaster of ours that does not answer on the port is stopped.
    pidfile="$data/postmaster.pid"
    if [ -f "$pidfile" ]; then
        pid="$(pg_postmaster "$data")"
        if [ -n "$pid" ]; then
            as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    fi

    if ! as_pg "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 60 \
        -o "-p $PG_PORT -k $sock -c listen_addresses=127.0.0.1 -c max_connections=200 $PG_TUNING" \
        start >/dev/null 2>&1 9>&-; then
        tail -n 20 "$log" >&2
        die "postgres did not start (log: $log)"
    fi
    printf 'mode=local\nrepo=%s\ndata=%s\n' "$REPO" "$data" >"$STATE/postgres"
    pg_ensure_db
    say "postgres: started on 127.0.0.1:$PG_PORT in $(since "$t0") (data $data)"
}

pg_down_local() {
    local data t0
    # A standby of a stopped primary only serves ever older answers.
    [ -f "$STATE/standby" ] && standby_down
    t0="$(now)"
    data="$(kv "$STATE/postgres" data)"
    if [ -n "$data" ] && [ -n "$(pg_postmaster "$data")" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
            as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -f "$STATE/postgres"
    say "postgres: stopped in $(since "$t0")"
}

# ---------------------------------------------------------------- RabbitMQ

rmq_env() {
    export PATH="$RMQBIN:$PATH"
    # One cookie for every checkout's scripts, so any of them can stop the shared node.
    export HOME="$STATE/erlang"
    export RABBITMQ_NODENAME="$NODE"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT="$AMQP_PORT"
    export RABBITMQ_DIST_PORT="$DIST_PORT"
    export RABBITMQ_MNESIA_BASE="$RUN/rabbitmq/mnesia"
    export RABBITMQ_LOG_BASE="$LOGS/rabbitmq"
    export RABBITMQ_PID_FILE="$RUN/rabbitmq/rabbitmq.pid"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$RUN/rabbitmq/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$RUN/rabbitmq/rabbitmq.conf"
    export RABBITMQ_CONF_ENV_FILE="$RUN/rabbitmq/rabbitmq-env.conf"
    # Erlang distribution and epmd on loopback only. The Erlang schedulers sleep when they run out of work instead of
    # busy-waiting first (+sbwt none, and for the dirty schedulers): on a host shared with PostgreSQL and the service,
    # the broker's spinning took CPU they needed (docs/benchmarks.md, "Session 9").
    export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none"
    export ERL_EPMD_ADDRESS=127.0.0.1
}

rmq_cookie() {
    mkdir -p "$STATE/erlang"
    chmod 700 "$STATE/erlang"
    local c="$STATE/erlang/.erlang.cookie"
    if [ ! -s "$c" ]; then
        (umask 077; head -c 30 /dev/urandom | sha1sum | cut -c1-32 | tr a-f A-F >"$c")
    fi
    chmod 400 "$c"
}

rmq_files() {
    mkdir -p "$RUN/rabbitmq/mnesia" "$LOGS/rabbitmq"
    cat >"$RUN/rabbitmq/rabbitmq.conf" <<EOF
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
loopback_users.guest = true
EOF
    echo '[rabbitmq_management].' >"$RUN/rabbitmq/enabled_plugins"
    : >"$RUN/rabbitmq/rabbitmq-env.conf"
}

rmq_ctl() { (cd "$RUN" && rmq_env && exec timeout "${CTL_TIMEOUT:-90}" rabbitmqctl -n "$NODE" "$@"); }

epmd_running() { command -v epmd >/dev/null 2>&1 && epmd -names >/dev/null 2>&1; }

# Starts the node in the background; rmq_wait finishes the job, so PostgreSQL starts meanwhile.
RMQ_T0=""
rmq_start_local() {
    RMQ_T0="$(now)"
    if port_open "$AMQP_PORT"; then
        if [ -f "$STATE/rabbitmq" ]; then
            say "rabbitmq: already running on 127.0.0.1:$AMQP_PORT (started from $(kv "$STATE/rabbitmq" repo))"
        else
            say "rabbitmq: reusing the broker already listening on 127.0.0.1:$AMQP_PORT (not started by these scripts; down leaves it)"
        fi
        RMQ_T0=""
        return
    fi
    # Whatever is recorded does not answer: a node killed or wedged in an earlier run.
    if [ -f "$STATE/rabbitmq" ]; then rmq_kill "$STATE/rabbitmq"; rm -f "$STATE/rabbitmq"; fi
    [ -x "$RMQBIN/rabbitmq-server" ] || install_packages
    rmq_cookie
    rmq_files
    local pidfile="$RUN/rabbitmq/rabbitmq.pid" pid epmd_started=0
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if environ_has "$pid" "RABBITMQ_MNESIA_BASE=$RUN/rabbitmq/mnesia"; then
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    need_free_ports rabbitmq "$DIST_PORT" "$MGMT_PORT"
    epmd_running || epmd_started=1
    (
        cd "$RUN"
        rmq_env
        exec setsid rabbitmq-server </dev/null >"$LOGS/rabbitmq.out" 2>&1 9>&-
    ) &
    printf 'mode=local\nrepo=%s\nrun=%s\nwrapper=%s\nepmd_started=%s\n' \
        "$REPO" "$RUN" "$!" "$epmd_started" >"$STATE/rabbitmq"
}

rmq_wait_local() {
    [ -n "$RMQ_T0" ] || return 0
    local wrapper deadline
    wrapper="$(kv "$STATE/rabbitmq" wrapper)"
    deadline=$(( $(date +%s) + 120 ))
    # await_startup fails at once while the node is not yet registered with epmd: wait for AMQP first.
    until port_open "$AMQP_PORT"; do
        if ! pid_alive "$wrapper" || [ "$(date +%s)" -ge "$deadline" ]; then
            tail -n 30 "$LOGS/rabbitmq.out" >&2
            rmq_kill "$STATE/rabbitmq"; rm -f "$STATE/rabbitmq"
            die "rabbitmq did not start (logs: $LOGS/rabbitmq.out, $LOGS/rabbitmq/)"
        fi
        sleep 0.5
    done
    rmq_ctl await_startup --timeout 60 >/dev/null 2>&1 || die "rabbitmq answered on AMQP but await_startup failed"
    until port_open "$MGMT_PORT"; do
        [ "$(date +%s)" -ge "$deadline" ] && die "rabbitmq management did not answer on $MGMT_PORT"
        sleep 0.5
    done
    say "rabbitmq: started on 127.0.0.1:$AMQP_PORT in $(since "$RMQ_T0") (management http://127.0.0.1:$MGMT_PORT, node $NODE)"
}

environ_has() { # environ_has PID VAR=VALUE: the process is still the one we recorded, not a reused pid
    [ -n "${1:-}" ] || return 1
    local env
    env="$(tr '\0' '\n' 2>/dev/null <"/proc/$1/environ")" || return 1
    printf '%s\n' "$env" | grep -qxF -- "$2"
}

rmq_kill() { # last resort for a node that does not answer rabbitmqctl
    local state="$1" run pid wrapper
    run="$(kv "$state" run)"; wrapper="$(kv "$state" wrapper)"
    pid="$(cat "$run/rabbitmq/rabbitmq.pid" 2>/dev/null || true)"
    environ_has "$pid" "RABBITMQ_NODENAME=$NODE" || pid=""
    environ_has "$wrapper" "RABBITMQ_NODENAME=$NODE" || wrapper=""
    for p in $pid $wrapper; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 1 20); do
        pid_alive "$pid" || pid_alive "$wrapper" || return 0
        sleep 0.5
    done
    for p in $pid $wrapper; do kill -KILL "$p" 2>/dev/null || true; done
}

rmq_down_local() {
    local state="$STATE/rabbitmq" run pidfile t0
    t0="$(now)"
    run="$(kv "$state" run)"
    pidfile="$run/rabbitmq/rabbitmq.pid"
    # `stop PIDFILE` returns once the Erlang VM has exited.
    if ! CTL_TIMEOUT=45 rmq_ctl stop "$pidfile" >/dev/null 2>&1; then
        rmq_kill "$state"
    fi
    local wrapper; wrapper="$(kv "$state" wrapper)"
    for _ in $(seq 1 20); do pid_alive "$wrapper" || break; sleep 0.25; done
    if [ "$(kv "$state" epmd_started)" = 1 ] && epmd_running; then
        # epmd outlives the node; it goes only if no other node is registered with it.
        if [ -z "$(epmd -names 2>/dev/null | sed -n 's/^name \([^ ]*\) at port.*/\1/p')" ]; then
            epmd -kill >/dev/null 2>&1 || true
        fi
    fi
    rm -f "$state"
    say "rabbitmq: stopped in $(since "$t0")"
}

# ---------------------------------------------------------------- PostgreSQL standby (read replica)

standby_datadir() { # beside the primary's data, wherever that had to go
    local primary; primary="$(pg_datadir)"
    echo "$(dirname "$primary")/$(basename "$primary")-standby"
}

standby_up() {
    local t0 data sock log primary
    t0="$(now)"
    port_open "$PG_PORT" || die "standby: the primary PostgreSQL does not answer on $PG_PORT (scripts/services.sh up first)"
    if port_open "$STANDBY_PORT"; then
        say "standby: already running on 127.0.0.1:$STANDBY_PORT (started from $(kv "$STATE/standby" repo 2>/dev/null || echo elsewhere))"
        standby_env
        return
    fi
    [ -x "$PGBIN/pg_basebackup" ] || install_packages
    data="$(standby_datadir)"
    sock="$data"
    [ ${#sock} -gt 80 ] && sock="$PG_FALLBACK/standby-sock"
    log="$LOGS/postgres-standby.log"
    mkdir -p "$(dirname "$data")" "$LOGS"
    # A standby is a copy of the primary as it is now: an old copy of another primary (or of this one before a
    # reset) cannot catch up, so every start takes a fresh base backup. Seconds for a development database.
    if [ -n "$(pg_postmaster "$data")" ]; then as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$data"
    mkdir -p "$data" "$sock"
    touch "$log"
    if is_root; then chown postgres: "$data" "$sock" "$log"; [ -d "$PG_FALLBACK" ] && chown postgres: "$PG_FALLBACK"; fi
    chmod 700 "$data"
    if ! as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$data" -R -X stream -c fast \
            >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "standby: pg_basebackup from 127.0.0.1:$PG_PORT failed (log: $log)"
    fi
    # hot_standby_feedback: a long report on the standby is not cancelled by the primary vacuuming rows it reads.
    # It answers only once it has replayed the WAL written during its base backup: under a heavy writer on the primary
    # (a backfill benchmark writing gigabytes) that took over a minute here, so it gets five.
    if ! as_pg "$PGBIN/pg_ctl" -D "$data" -l "$log" -w -t 300 \
        -o "-p $STANDBY_PORT -k $sock -c listen_addresses=127.0.0.1 -c max_connections=200 -c hot_standby=on -c hot_standby_feedback=on" \
        start >/dev/null 2>&1 9>&-; then
        tail -n 20 "$log" >&2
        die "standby did not start (log: $log)"
    fi
    printf 'mode=local\nrepo=%s\ndata=%s\n' "$REPO" "$data" >"$STATE/standby"
    primary="$(pg_psql -d postgres -c 'select pg_current_wal_lsn()')"
    say "standby: streaming from 127.0.0.1:$PG_PORT, hot standby on 127.0.0.1:$STANDBY_PORT in $(since "$t0") (primary at $primary; data $data)"
    standby_env
}

standby_env() {
    [ -f "$ENV_FILE" ] || return 0
    sed -i '/^export ConnectionStrings__OutcomesRead=/d' "$ENV_FILE"
    echo "export ConnectionStrings__OutcomesRead=\"Host=127.0.0.1;Port=$STANDBY_PORT;Username=postgres;Database=outcomes\"" >>"$ENV_FILE"
    say "env: $ENV_FILE (ConnectionStrings__OutcomesRead)"
}

standby_down() {
    local data t0
    t0="$(now)"
    data="$(kv "$STATE/standby" data || true)"
    if [ -n "$data" ] && [ -n "$(pg_postmaster "$data")" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
            as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -f "$STATE/standby"
    [ -f "$ENV_FILE" ] && sed -i '/^export ConnectionStrings__OutcomesRead=/d' "$ENV_FILE"
    say "standby: stopped in $(since "$t0")"
}

standby_status() {
    if port_open "$STANDBY_PORT"; then
        local replayed primary
        replayed="$("$PGBIN/psql" -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -qAt -c 'select pg_last_wal_replay_lsn()' 2>/dev/null || echo '?')"
        primary="$(pg_psql -d postgres -c 'select pg_current_wal_lsn()' 2>/dev/null || echo '?')"
        say "standby: running on 127.0.0.1:$STANDBY_PORT, replayed $replayed (primary at $primary)"
    else
        say "standby: stopped"; return 3
    fi
}

cmd_standby() {
    local sub="$1"
    mkdir -p "$RUN" "$LOGS"
    case "$sub" in
        up) with_lock; [ "$(services_mode)" = local ] || die "standby: only for the private instances (no Docker mode yet)"; standby_up ;;
        down) trap '' INT TERM PIPE; with_lock; standby_down ;;
        status) standby_status ;;
        *) say "usage: scripts/services.sh standby up|down|status"; exit 2 ;;
    esac
}

# ---------------------------------------------------------------- RabbitMQ cluster

# Three nodes on one machine, for the scale-out tests and for trying failover: each its own node name, ports and
# data under .run/cluster/<node>, one Erlang cookie (the shared one), joined to node a. The single node of `up`
# is a separate broker and is left alone. Ports: AMQP 2674N, distribution 2675N, management 2676N (N = 1, 2, 3).
CLUSTER_NODES="a b c"

cluster_index() { case "$1" in a) echo 1 ;; b) echo 2 ;; c) echo 3 ;; esac; }
cluster_amqp() { echo $(( 26740 + $(cluster_index "$1") )); }
cluster_node() { echo "outcomes-$1@localhost"; }

cluster_env() { # cluster_env NODE: rmq_env for one of the cluster's nodes
    local n="$1" i dir
    i="$(cluster_index "$n")"; dir="$RUN/cluster/$n"
    rmq_env
    export RABBITMQ_NODENAME; RABBITMQ_NODENAME="$(cluster_node "$n")"
    export RABBITMQ_NODE_PORT=$(( 26740 + i ))
    export RABBITMQ_DIST_PORT=$(( 26750 + i ))
    export RABBITMQ_MNESIA_BASE="$dir/mnesia"
    export RABBITMQ_LOG_BASE="$LOGS/cluster-$n"
    export RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
    export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf"
}

cluster_ctl() { local n="$1"; shift; (cd "$RUN" && cluster_env "$n" && exec timeout "${CTL_TIMEOUT:-90}" rabbitmqctl -n "$(cluster_node "$n")" "$@"); }

# Each member of a quorum queue as Raft sees it (state, commit index, ...), as JSON, from the first node that answers:
# the management API's "online" follows a member's node, not whether its replica has caught up after a restart.
cluster_quorum_status() {
    local n queue="$1"
    for n in $CLUSTER_NODES; do
        port_open "$(cluster_amqp "$n")" || continue
        (cd "$RUN" && cluster_env "$n" && exec timeout "${CTL_TIMEOUT:-60}" rabbitmq-queues -n "$(cluster_node "$n")" \
            quorum_status "$queue" --formatter json) && return 0
    done
    die "cluster: no node answered quorum_status for $queue"
}

cluster_start_node() {
    local n="$1" i dir pid
    i="$(cluster_index "$n")"; dir="$RUN/cluster/$n"
    mkdir -p "$dir/mnesia" "$LOGS/cluster-$n"
    printf 'management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %s\nloopback_users.guest = true\n' $(( 26760 + i )) >"$dir/rabbitmq.conf"
    echo '[rabbitmq_management].' >"$dir/enabled_plugins"
    : >"$dir/rabbitmq-env.conf"
    pid="$(cat "$dir/rabbitmq.pid" 2>/dev/null || true)"
    if environ_has "$pid" "RABBITMQ_NODENAME=$(cluster_node "$n")"; then kill -9 "$pid" 2>/dev/null || true; fi
    rm -f "$dir/rabbitmq.pid"
    need_free_ports "cluster: node $n" $(( 26750 + i )) $(( 26760 + i ))
    ( cd "$RUN"; cluster_env "$n"; exec setsid rabbitmq-server </dev/null >"$LOGS/cluster-$n.out" 2>&1 9>&- ) &
    echo "$!" >"$dir/wrapper.pid"
}

cluster_wait_node() {
    local n="$1" port deadline
    port="$(cluster_amqp "$n")"; deadline=$(( $(date +%s) + ${CLUSTER_WAIT:-180} ))
    until port_open "$port"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            if [ "${2:-}" = ours ] && [ -f "$LOGS/cluster-$n.out" ]; then tail -n 20 "$LOGS/cluster-$n.out" >&2; fi
            die "cluster: node $(cluster_node "$n") did not answer on $port (if another checkout started it, stop it there: scripts/services.sh cluster down)"
        fi
        sleep 0.5
    done
    cluster_ctl "$n" await_startup --timeout 60 >/dev/null 2>&1 || die "cluster: node $n answered on AMQP but await_startup failed"
}

node_registered() { # the node's name is known to epmd: it runs (or is starting), whichever checkout started it
    command -v epmd >/dev/null 2>&1 && epmd -names 2>/dev/null | grep -q "^name outcomes-$1 at port"
}

cluster_up() {
    local t0 n started="" owner only="${1:-}"
    case "$only" in ""|a|b|c) ;; *) die "cluster up: no node '$only' (a, b or c)" ;; esac
    t0="$(now)"
    [ -x "$RMQBIN/rabbitmq-server" ] || install_packages
    rmq_cookie
    # The ports are machine-wide: a cluster started from another checkout is shared, never restarted or re-joined
    # from here (its nodes' data is in that checkout's .run/). A node of it that does not answer is its owner's to fix.
    owner="$(kv "$STATE/cluster" repo || true)"
    if [ -n "$owner" ] && [ "$owner" != "$REPO" ] && [ -d "$owner" ]; then
        for n in $CLUSTER_NODES; do
            port_open "$(cluster_amqp "$n")" ||
                die "cluster: node $n of the cluster started from $owner does not answer on $(cluster_amqp "$n"); run scripts/services.sh cluster up (or down) there"
        done
        say "cluster: already running (started from $owner)"
        cluster_env_file
        return
    fi
    # Registered but not answering: starting (give it time) or wedged; a second node of that name cannot start. Settle
    # these first, so that a wedged node stops this run before it has started anything.
    for n in $CLUSTER_NODES; do
        if ! port_open "$(cluster_amqp "$n")" && node_registered "$n"; then cluster_wait_node "$n"; fi
    done
    for n in $CLUSTER_NODES; do
        port_open "$(cluster_amqp "$n")" && continue
        [ -n "$only" ] && [ "$n" != "$only" ] && continue
        cluster_start_node "$n"; started="$started $n"
    done
    for n in $started; do cluster_wait_node "$n" ours; done
    # A node started here for the first time joins node a; one that was clustered (a restart after a kill) rejoins by
    # itself. Only nodes this run started are ever stopped and joined.
    for n in $started; do
        [ "$n" = a ] && continue
        if ! cluster_ctl "$n" cluster_status 2>/dev/null | grep -q "$(cluster_node a)"; then
            cluster_ctl "$n" stop_app >/dev/null
            cluster_ctl "$n" join_cluster "$(cluster_node a)" >/dev/null || die "cluster: node $n could not join node a"
            cluster_ctl "$n" start_app >/dev/null
        fi
    done
    printf 'mode=local\nrepo=%s\nrun=%s\n' "$REPO" "$RUN" >"$STATE/cluster"
    say "cluster: $(for n in $CLUSTER_NODES; do printf '%s on %s, ' "$(cluster_node "$n")" "$(cluster_amqp "$n")"; done)joined${started:+ (started:$started)} in $(since "$t0")"
    cluster_env_file
}

cluster_uris() {
    local n out=""
    for n in $CLUSTER_NODES; do out="$out${out:+,}amqp://guest:guest@127.0.0.1:$(cluster_amqp "$n")/"; done
    echo "$out"
}

cluster_env_file() {
    [ -f "$ENV_FILE" ] || return 0
    sed -i '/^export OUTCOMES_RABBITMQ_CLUSTER=/d' "$ENV_FILE"
    echo "export OUTCOMES_RABBITMQ_CLUSTER=\"$(cluster_uris)\"" >>"$ENV_FILE"
    say "env: $ENV_FILE (OUTCOMES_RABBITMQ_CLUSTER: give it to the service as ConnectionStrings__RabbitMq)"
}

cluster_down() {
    local n t0 dir pid wrapper p owner
    t0="$(now)"
    owner="$(kv "$STATE/cluster" repo || true)"
    if [ -n "$owner" ] && [ "$owner" != "$REPO" ] && [ -d "$owner" ]; then
        say "cluster: started from $owner, left running (stop it there)"
        return
    fi
    for n in c b a; do
        dir="$RUN/cluster/$n"
        [ -d "$dir" ] || continue
        pid="$(cat "$dir/rabbitmq.pid" 2>/dev/null || true)"
        if port_open "$(cluster_amqp "$n")"; then
            CTL_TIMEOUT=45 cluster_ctl "$n" stop "$dir/rabbitmq.pid" >/dev/null 2>&1 || true
        fi
        wrapper="$(cat "$dir/wrapper.pid" 2>/dev/null || true)"
        for p in $pid $wrapper; do
            if environ_has "$p" "RABBITMQ_NODENAME=$(cluster_node "$n")"; then kill -9 "$p" 2>/dev/null || true; fi
        done
    done
    # A cluster is for a run: the next `cluster up` starts from empty nodes.
    rm -rf "$RUN/cluster" "$STATE/cluster"
    if [ -f "$ENV_FILE" ]; then sed -i '/^export OUTCOMES_RABBITMQ_CLUSTER=/d' "$ENV_FILE"; fi
    say "cluster: stopped in $(since "$t0")"
}

cluster_status() {
    local n rc=0
    for n in $CLUSTER_NODES; do
        if port_open "$(cluster_amqp "$n")"; then
            say "cluster: $(cluster_node "$n") on 127.0.0.1:$(cluster_amqp "$n") (pid $(cat "$RUN/cluster/$n/rabbitmq.pid" 2>/dev/null || echo '?'))"
        else
            say "cluster: $(cluster_node "$n") stopped"; rc=3
        fi
    done
    return "$rc"
}

cmd_cluster() {
    mkdir -p "$RUN" "$LOGS"
    case "${1:-}" in
        up) with_lock; [ "$(services_mode)" = local ] || die "cluster: only for the private instances (Docker: docker compose --profile cluster up -d)"; cluster_up "${2:-}" ;;
        down) trap '' INT TERM PIPE; with_lock; cluster_down ;;
        status) cluster_status ;;
        quorum-status) [ -n "${2:-}" ] || die "usage: scripts/services.sh cluster quorum-status QUEUE"; cluster_quorum_status "$2" ;;
        *) say "usage: scripts/services.sh cluster up [a|b|c]|down|status|quorum-status QUEUE"; exit 2 ;;
    esac
}

# ---------------------------------------------------------------- Docker

compose_cmd() {
    if docker compose version >/dev/null 2>&1; then echo "docker compose"
    elif command -v docker-compose >/dev/null 2>&1; then echo docker-compose
    else return 1
    fi
}

compose() { $(compose_cmd) -f "$COMPOSE_FILE" "$@"; }

docker_up() {
    local t0 wanted=()
    t0="$(now)"
    compose_cmd >/dev/null || die "Docker mode needs docker compose (or docker-compose)"
    if port_open "$PG_PORT"; then say "postgres: reusing the server on 127.0.0.1:$PG_PORT"; else wanted+=(postgres); fi
    if port_open "$AMQP_PORT"; then say "rabbitmq: reusing the broker on 127.0.0.1:$AMQP_PORT"; else wanted+=(rabbitmq); fi
    if [ ${#wanted[@]} -gt 0 ]; then
        compose up -d "${wanted[@]}" 9>&-
        local s
        for s in "${wanted[@]}"; do printf 'mode=docker\nrepo=%s\n' "$REPO" >"$STATE/$s"; done
    fi
    local deadline=$(( $(date +%s) + 180 ))
    until port_open "$PG_PORT" && port_open "$AMQP_PORT" && port_open "$MGMT_PORT"; do
        [ "$(date +%s)" -ge "$deadline" ] && die "containers did not answer on $PG_PORT/$AMQP_PORT/$MGMT_PORT"
        sleep 1
    done
    pg_ensure_db
    say "docker: postgres and rabbitmq ready in $(since "$t0")"
}

docker_down() {
    local s stop=()
    for s in postgres rabbitmq; do
        [ "$(kv "$STATE/$s" mode)" = docker ] && stop+=("$s")
    done
    [ ${#stop[@]} -gt 0 ] && compose rm -s -f -v "${stop[@]}"
    for s in "${stop[@]}"; do rm -f "$STATE/$s"; done
    say "docker: stopped ${stop[*]:-nothing}"
}

# ---------------------------------------------------------------- commands

write_env() {
    local mode="$1"
    cat >"$ENV_FILE" <<EOF
# Written by scripts/services.sh up; source it: . .run/services.env
export ConnectionStrings__Outcomes="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=outcomes"
export ConnectionStrings__RabbitMq="amqp://guest:guest@127.0.0.1:$AMQP_PORT/"
export OUTCOMES_RABBITMQ_MANAGEMENT="http://127.0.0.1:$MGMT_PORT"
export OUTCOMES_SERVICES=$mode
EOF
}

with_lock() {
    mkdir -p "$STATE"
    exec 9>"$STATE/lock"
    flock -w 600 9 || die "another services.sh held $STATE/lock for 10 minutes"
}

cmd_up() {
    local lease="$1" pid="$2" mode
    mkdir -p "$RUN" "$LOGS"
    with_lock
    mode="$(services_mode)"
    # Holds belong to a running instance: when neither service runs, old holds are void.
    if ! port_open "$PG_PORT" && ! port_open "$AMQP_PORT"; then rm -rf "$STATE/leases"; fi
    if [ "$mode" = docker ]; then
        docker_up
    else
        rmq_start_local
        pg_up_local
        rmq_wait_local
    fi
    lease_take "$lease" "$pid"
    write_env "$mode"
    say "env: $ENV_FILE"
}

cmd_down() {
    local lease="$1" force="$2" others
    # Half a stop is worse than a slow one: finish even on Ctrl-C or a closed output pipe.
    trap '' INT TERM PIPE
    with_lock
    lease_drop "$lease"
    others="$(live_leases | paste -sd, - | sed 's/,/, /g')"
    if [ -n "$others" ] && [ "$force" != 1 ]; then
        say "services: left running, still held by $others (down --force stops them)"
        return
    fi
    [ "$force" = 1 ] && rm -rf "$STATE/leases"
    local stopped=0
    if [ "$(kv "$STATE/postgres" mode)" = docker ] || [ "$(kv "$STATE/rabbitmq" mode)" = docker ]; then
        docker_down; stopped=1
    fi
    if [ "$(kv "$STATE/postgres" mode)" = local ]; then pg_down_local; stopped=1; fi
    if [ "$(kv "$STATE/rabbitmq" mode)" = local ]; then rmq_down_local; stopped=1; fi
    if [ "$stopped" = 0 ]; then
        if port_open "$PG_PORT" || port_open "$AMQP_PORT"; then
            say "services: what listens on $PG_PORT/$AMQP_PORT was not started by these scripts: left running"
        else
            say "services: already down"
        fi
    fi
}

cmd_status() {
    local s port rc=0
    for s in postgres rabbitmq; do
        [ "$s" = postgres ] && port=$PG_PORT || port=$AMQP_PORT
        if port_open "$port"; then
            if [ -f "$STATE/$s" ]; then
                say "$s: running on 127.0.0.1:$port ($(kv "$STATE/$s" mode), started from $(kv "$STATE/$s" repo))"
            else
                say "$s: running on 127.0.0.1:$port (not started by these scripts)"
            fi
        else
            say "$s: stopped"; rc=3
        fi
    done
    if [ "$rc" = 0 ]; then
        port_open "$MGMT_PORT" && say "rabbitmq management: http://127.0.0.1:$MGMT_PORT" || say "rabbitmq management: not answering"
    fi
    local held; held="$(live_leases 2>/dev/null | paste -sd, - | sed 's/,/, /g')"
    say "held by: ${held:-nobody}"
    [ -f "$ENV_FILE" ] && say "env: $ENV_FILE"
    return "$rc"
}

main() {
    local cmd="${1:-}" lease="manual-$CHECKOUT" pid="" force=0
    [ $# -gt 0 ] && shift
    case "$cmd" in
        standby) cmd_standby "${1:-}"; return ;;
        cluster) cmd_cluster "${1:-}" "${2:-}"; return ;;
    esac
    while [ $# -gt 0 ]; do
        case "$1" in
            --lease) lease="$2"; shift 2 ;;
            --pid) pid="$2"; shift 2 ;;
            --force) force=1; shift ;;
            *) die "unknown option $1" ;;
        esac
    done
    case "$cmd" in
        up) cmd_up "$lease" "$pid" ;;
        down) cmd_down "$lease" "$force" ;;
        status) cmd_status ;;
        install) install_packages --with-browser && bash "$REPO/scripts/oidc/install.sh" ;;
        *) say "usage: scripts/services.sh up|down|status|install [--lease NAME [--pid PID]] [--force] | standby up|down|status | cluster up|down|status"; exit 2 ;;
    esac
}

main "$@"
