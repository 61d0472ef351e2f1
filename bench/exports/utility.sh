#!/usr/bin/env bash
# Export utility: a private service on its own port, event-store schema, exchange and queues (so it shares the machine's
# PostgreSQL and RabbitMQ with other checkouts without touching their data), a demo feed loaded over HTTP, a release
# cut, and one researcher export of every clinic; prints what the release did (share released, columns generalised,
# analysis variables intact, re-identification risk) from the manifest.
#
#   PATIENTS=5000 bash bench/exports/utility.sh            (needs `scripts/services.sh up` and a Release build)
#   KEEP=DIR ... keeps the unpacked export in DIR
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO"
. .run/services.env
PATIENTS=${PATIENTS:-5000}
SEED=${SEED:-42}
CLINICS=${CLINICS:-4}
PORT=${PORT:-5187}
NAME="exports-utility-$$"
SCHEMA="exports_utility_$$"
URL="http://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
export ASPNETCORE_ENVIRONMENT=Development
KEY="$(sed -n 's/.*"SigningKey": *"\([^"]*\)".*/\1/p' src/Outcomes.Service/appsettings.Development.json)"
SUBJECT_KEY="$(sed -n 's/.*"SubjectKey": *"\([^"]*\)".*/\1/p' src/Outcomes.Service/appsettings.Development.json)"
cli() { dotnet src/Outcomes.Cli/bin/Release/net10.0/outcomes.dll "$@"; }

Auth__SigningKey=$KEY Exports__SubjectKey=$SUBJECT_KEY EventStore__Schema=$SCHEMA Ingestion__Exchange=$NAME.clinic-events Ingestion__Queue=$NAME Ingestion__EnvelopeQueue=$NAME-envelope \
    setsid dotnet src/Outcomes.Service/bin/Release/net10.0/Outcomes.Service.dll --urls "$URL" >"$WORK/service.log" 2>&1 &
SERVICE=$!
cleanup() {
    kill -TERM -- "-$SERVICE" 2>/dev/null || kill -TERM "$SERVICE" 2>/dev/null || true
    wait "$SERVICE" 2>/dev/null || true
    psql -h 127.0.0.1 -p 24329 -U postgres -d outcomes -qc "drop schema if exists $SCHEMA cascade" >/dev/null 2>&1 || true
    for q in "$NAME.clinic-events" "$NAME" "$NAME"_error "$NAME"_skipped "$NAME-envelope" "$NAME-envelope_error" "$NAME-envelope_skipped"; do
        curl -fsS -u guest:guest -X DELETE "$OUTCOMES_RABBITMQ_MANAGEMENT/api/queues/%2F/$q" >/dev/null 2>&1 || true
        curl -fsS -u guest:guest -X DELETE "$OUTCOMES_RABBITMQ_MANAGEMENT/api/exchanges/%2F/$q" >/dev/null 2>&1 || true
    done
    [ -n "${KEEP_LOG:-}" ] && cp "$WORK/service.log" "$KEEP_LOG"; rm -rf "$WORK"
}
trap cleanup EXIT
deadline=$(( $(date +%s) + 120 ))
until curl -fsS -o /dev/null "$URL/health/ready" 2>/dev/null; do
    kill -0 "$SERVICE" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] || { grep -m3 -iE "exception|error" "$WORK/service.log" >&2; tail -n 5 "$WORK/service.log" >&2; echo "service not ready" >&2; exit 1; }
    sleep 1
done

ADMIN="$(Auth__SigningKey="$KEY" cli token --sub bench-admin --role admin --clinics '*' --minutes 120)"
cli demo --patients "$PATIENTS" --seed "$SEED" --clinics "$CLINICS" --dry-run --out "$WORK/feed.jsonl" >/dev/null
cli load "$WORK/feed.jsonl" --url "$URL" --token "$ADMIN" --allow-rejections | tail -n 1
curl -fsS -X POST -H "Authorization: Bearer $ADMIN" "$URL/api/v1/releases" >"$WORK/release.json"
clinics="$(grep -o '"clinicId":"[^"]*"' "$WORK/feed.jsonl" | sort -u | sed 's/"clinicId":"\([^"]*\)"/\1/' | paste -sd, -)"
RESEARCHER="$(Auth__SigningKey="$KEY" cli token --sub bench-researcher --role researcher --clinics "$clinics" --minutes 120)"
start=$(date +%s.%N)
cli export --url "$URL" --token "$RESEARCHER" --report "${REPORT:-overview}" --format csv --out "$WORK/export" | tail -n 1
end=$(date +%s.%N)
echo "export took $(echo "$end - $start" | bc) s (including the CLI's start)"
jq '{release: .release, deidentification: .deidentification}' "$WORK/export/manifest.json"
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; cp -r "$WORK/export/." "$KEEP/"; fi
