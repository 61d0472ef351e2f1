#!/usr/bin/env bash
# The one-command demo: PostgreSQL and RabbitMQ, the Outcomes service, and a synthetic clinic feed.
#
#   scripts/quickstart.sh            run the demo and keep it running until Ctrl-C, then clean up
#   scripts/quickstart.sh --no-wait  run the demo, then exit leaving everything running
#   scripts/quickstart.sh down       stop what a --no-wait run left running
#
# PATIENTS (default 500) sets the size of the demo feed. Logs: .run/logs/.
#
# The HTTP API needs a bearer token. In the Development environment (the default here) the service
# signs with the published development key of src/Outcomes.Service/appsettings.Development.json;
# the script prints an admin token made with it. Set Auth__SigningKey to use a key of your own.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
LOGS=.run/logs
PIDFILE=.run/service.pid
SERVICE_URL=http://127.0.0.1:5080
SERVICE_PORT=5080
HEALTH_DEADLINE=${HEALTH_DEADLINE:-180}
LEASE="quickstart-$(basename "$REPO" | tr -c 'A-Za-z0-9._\n-' _)-$(printf '%s' "$REPO" | sha1sum | cut -c1-12)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf 'quickstart: %s\n' "$*" 2>/dev/null || true; }

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

service_pid() {
    local pid
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q Outcomes.Service; then
        echo "$pid"
    fi
}

stop_service() {
    local pid
    pid="$(service_pid)"
    if [ -n "$pid" ]; then
        # The service runs in its own process group: `dotnet run` and the app it started.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL -- "-$pid" 2>/dev/null || true
        say "service stopped"
    fi
    rm -f "$PIDFILE"
}

teardown() {
    trap '' INT TERM PIPE
    stop_service
    bash scripts/services.sh down --lease "$LEASE" || true
}

if [ "${1:-}" = down ]; then
    teardown
    exit 0
fi

wait_mode=1
case "${1:-}" in
    "") ;;
    --no-wait) wait_mode=0 ;;
    *) echo "usage: scripts/quickstart.sh [--no-wait | down]" >&2; exit 2 ;;
esac
command -v curl >/dev/null || { say "curl is needed (apt-get install curl)"; exit 1; }
mkdir -p "$LOGS"

started=0
on_exit() {
    local status=$?
    trap - EXIT
    if [ "$started" = 1 ] && { [ "$wait_mode" = 1 ] || [ "$status" != 0 ]; }; then
        say "cleaning up"
        teardown
    fi
    exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A Ctrl-C run's hold ends with this process; a --no-wait run holds until `quickstart.sh down`.
started=1
if [ "$wait_mode" = 1 ]; then
    bash scripts/services.sh up --lease "$LEASE" --pid $$
else
    bash scripts/services.sh up --lease "$LEASE"
fi
# shellcheck source=/dev/null
. .run/services.env
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"

say "building the service and the CLI (log: $LOGS/quickstart-build.log)"
if ! { dotnet build src/Outcomes.Service -c Release && dotnet build src/Outcomes.Cli -c Release; } \
        >"$LOGS/quickstart-build.log" 2>&1; then
    grep -E ': error ' "$LOGS/quickstart-build.log" | sort -u | tail -n 20 >&2 || tail -n 30 "$LOGS/quickstart-build.log" >&2
    say "build failed"
    exit 1
fi

stop_service
if port_open "$SERVICE_PORT"; then
    say "port $SERVICE_PORT is taken by a process this checkout did not start; stop it first"
    exit 1
fi
say "starting the service on $SERVICE_URL (log: $LOGS/service.log)"
# The runtime settings the Dockerfile gives the service (DOTNET_ lines: the gen0 budget large reports want, the
# tiering delay a busy process needs off), unless set here already.
runtime_env=()
while IFS='=' read -r name value; do
    [ -n "${!name:-}" ] || runtime_env+=("$name=$value")
done < <(sed -n 's/^ENV \(DOTNET_[A-Za-z0-9_]*=[^ ]*\)$/\1/p' src/Outcomes.Service/Dockerfile)
env "${runtime_env[@]}" setsid dotnet run --project src/Outcomes.Service -c Release --no-build --urls "$SERVICE_URL" \
    </dev/null >"$LOGS/service.log" 2>&1 &
echo $! >"$PIDFILE"

deadline=$(( $(date +%s) + HEALTH_DEADLINE ))
until curl -fsS -o /dev/null --max-time 2 "$SERVICE_URL/health/ready" 2>/dev/null; do
    if [ -z "$(service_pid)" ]; then
        tail -n 30 "$LOGS/service.log" >&2
        say "the service exited before it was ready"
        exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        tail -n 30 "$LOGS/service.log" >&2
        say "the service was not ready at $SERVICE_URL/health/ready within $HEALTH_DEADLINE s"
        exit 1
    fi
    sleep 1
done
say "service ready"

say "feeding ${PATIENTS:-500} demo patients (seed 42)"
if ! dotnet run --project src/Outcomes.Cli -c Release --no-build -- demo --patients "${PATIENTS:-500}" --seed 42; then
    say "the demo feed failed"
    exit 1
fi

# The key the service signs with: the caller's own, else the development key it read from its settings.
signing_key="${Auth__SigningKey:-}"
if [ -z "$signing_key" ] && [ "$ASPNETCORE_ENVIRONMENT" = Development ]; then
    signing_key="$(sed -n 's/.*"SigningKey": *"\([^"]*\)".*/\1/p' src/Outcomes.Service/appsettings.Development.json)"
fi
if [ -z "$signing_key" ]; then
    say "no signing key to make a token with: set Auth__SigningKey (the service's Auth:SigningKey)"
    exit 1
fi
outcomes() { dotnet run --project src/Outcomes.Cli -c Release --no-build -- "$@"; }
TOKEN="$(Auth__SigningKey="$signing_key" outcomes token --sub quickstart-admin --role admin --clinics '*' --minutes 480)"
if ! curl -fsS -o /dev/null --max-time 10 -H "Authorization: Bearer $TOKEN" "$SERVICE_URL/api/v1/ingestion/rejections?limit=1"; then
    say "the service refused the admin token: does Auth__SigningKey match the service's Auth:SigningKey?"
    exit 1
fi
# A patient of the feed just sent, for the example: the first enrolment of the same seeded feed.
outcomes demo --patients "${PATIENTS:-500}" --seed 42 --dry-run --out .run/quickstart-feed.jsonl >/dev/null
example="$(grep -m1 '"v1.patient-enrolled"' .run/quickstart-feed.jsonl | sed -n 's/.*"clinicId":"\([^"]*\)","patientKey":"\([^"]*\)".*/\1\/\2/p')"

cat <<EOF

  Outcomes service      $SERVICE_URL
  Dashboard             $SERVICE_URL/dashboard  (sign in by pasting the token below)
  OpenAPI document      $SERVICE_URL/openapi/v1.json
  Ingestion rejections  $SERVICE_URL/api/v1/ingestion/rejections
  Health                $SERVICE_URL/health/ready
  RabbitMQ management   $OUTCOMES_RABBITMQ_MANAGEMENT  (guest / guest)
  PostgreSQL            psql -h 127.0.0.1 -p 24329 -U postgres outcomes
  Logs                  $REPO/$LOGS/

  Admin token for every clinic, valid 8 hours (development key; not for production):

    export TOKEN=$TOKEN

  Dashboard: open $SERVICE_URL/dashboard, paste the token at "Sign in".

    curl -H "Authorization: Bearer \$TOKEN" '$SERVICE_URL/api/v1/patients/$example'
    curl -H "Authorization: Bearer \$TOKEN" '$SERVICE_URL/api/v1/ingestion/rejections?limit=5'

  Tokens for other roles and clinics (roles: integration, quality, researcher, admin):

    Auth__SigningKey='$signing_key' \\
      dotnet run --project src/Outcomes.Cli -c Release --no-build -- token --sub ann --role quality --clinics clinic-a

EOF

if [ "$wait_mode" = 0 ]; then
    say "left running; stop with: scripts/quickstart.sh down"
    exit 0
fi
say "running; Ctrl-C stops everything this demo started"
while [ -n "$(service_pid)" ]; do sleep 1; done
tail -n 20 "$LOGS/service.log" >&2
say "the service stopped unexpectedly"
exit 1
