#!/usr/bin/env bash
# Golden outputs: proves that reports and exports stay byte-identical on the demo cohort across a refactoring.
#
#   scripts/golden-outputs.sh --write [FILE]   record one SHA-256 per output of the current build in FILE
#   scripts/golden-outputs.sh --check [FILE]   compare the current build's outputs with FILE; exit 1 on any difference
#
# FILE defaults to docs/golden/demo-outputs.sha256. The outputs themselves stay in .run/golden/outputs/ for diffing
# (e.g. against a copy kept from main's build).
#
# On a fresh schema (dropped at the end) and on broker names of its own (deleted at the end), it starts the service
# from the current Release build (built first unless GOLDEN_NO_BUILD=1), bulk-loads the seeded demo cohort
# (`outcomes demo --out` then `outcomes load`: one request at a time, so the event order is the file's), and fetches:
# every named report (own clinics), an ad-hoc cohort report, a named report as of an earlier position, every named
# report in the protected tier (coverage=network, and as a researcher sees it) after `POST /api/v1/releases`, the
# release list, the course (timeline) of a few patients, and research exports (csv, parquet, ad-hoc filter) of that
# release; the zips are also unpacked next to them for readable diffs.
#
# What is random by design is pinned here, never in the service:
# - the disclosure secret (record keys, cell-key perturbation): written into the fresh schema's disclosure_secret row
#   before any report asks for it (Releases.RecordKeysAsync creates it only when the row is missing);
# - the times the store gave the events (mt_events.timestamp, "store time" of a position and of a release) and the
#   time a release was cut (cut_at, which also seeds the export's keys and day jitter): set to fixed values by SQL
#   after the load and after each cut;
# - the export's subject key is the Development one of appsettings.Development.json.
# Nothing is excluded from the hashes: every byte of every output is compared.
#
# GOLDEN_PATIENTS (default 400), GOLDEN_PORT (default 5391). Needs the services (scripts/services.sh up).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"

mode="${1:-}"
file="${2:-docs/golden/demo-outputs.sha256}"
case "$mode" in
    --write|--check) ;;
    *) echo "usage: scripts/golden-outputs.sh --write|--check [FILE]" >&2; exit 2 ;;
esac

PATIENTS="${GOLDEN_PATIENTS:-400}"
PORT="${GOLDEN_PORT:-5391}"
URL="http://127.0.0.1:$PORT"
OUT="$REPO/.run/golden/outputs"
LOGS=.run/golden
RUN_ID="golden_$$_$(date +%s)"
SCHEMA="$RUN_ID"
# A fixed 32-byte disclosure secret, for this check only (hex).
PINNED_SECRET=676f6c64656e2d6f7574707574732d70696e6e65642d7365637265742d303031
# Fixed instants standing in for "now": event store times and release cut times.
PINNED_STORE_TIME="2026-01-02T00:00:00Z"
PINNED_CUT_TIME="2026-02-01T00:00:00Z"

say() { printf 'golden: %s\n' "$*" >&2; }

[ -f .run/services.env ] || { say "no .run/services.env: run scripts/services.sh up --lease NAME first"; exit 1; }
# shellcheck source=/dev/null
. .run/services.env
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Development
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 24329 -U postgres -d outcomes -At)
MANAGEMENT="${OUTCOMES_RABBITMQ_MANAGEMENT:-http://127.0.0.1:26731}"

mkdir -p "$LOGS"
rm -rf "$OUT"
mkdir -p "$OUT"

if [ "${GOLDEN_NO_BUILD:-0}" != 1 ]; then
    say "building the service and the CLI (log: $LOGS/build.log)"
    if ! { dotnet build src/Outcomes.Service -c Release && dotnet build src/Outcomes.Cli -c Release; } >"$LOGS/build.log" 2>&1; then
        grep -E ': error ' "$LOGS/build.log" | sort -u | tail -n 20 >&2 || true
        say "build failed"; exit 1
    fi
fi

service_pid=""
cleanup() {
    local status=$?
    trap - EXIT
    if [ -n "$service_pid" ]; then
        kill -TERM -- "-$service_pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.25; done
        kill -KILL -- "-$service_pid" 2>/dev/null || true
    fi
    "${PSQL[@]}" -c "drop schema if exists $SCHEMA cascade" >/dev/null 2>&1 || true
    for name in "$RUN_ID-ingestion" "$RUN_ID-envelope"; do
        for suffix in "" _error _skipped; do
            curl -fsS -o /dev/null -u guest:guest -X DELETE "$MANAGEMENT/api/queues/%2F/$name$suffix" 2>/dev/null || true
            curl -fsS -o /dev/null -u guest:guest -X DELETE "$MANAGEMENT/api/exchanges/%2F/$name$suffix" 2>/dev/null || true
        done
    done
    for name in "$RUN_ID-clinic-events" "$RUN_ID-safety"; do
        curl -fsS -o /dev/null -u guest:guest -X DELETE "$MANAGEMENT/api/exchanges/%2F/$name" 2>/dev/null || true
    done
    exit "$status"
}
trap cleanup EXIT

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
if port_open "$PORT"; then say "port $PORT is taken; set GOLDEN_PORT"; exit 1; fi

say "starting the service on $URL, schema $SCHEMA (log: $LOGS/service.log)"
# Broker names of its own: the shared broker's default exchange would deliver other checkouts' feeds into this schema.
EventStore__Schema="$SCHEMA" \
Ingestion__Exchange="$RUN_ID-clinic-events" Ingestion__Queue="$RUN_ID-ingestion" Ingestion__EnvelopeQueue="$RUN_ID-envelope" \
Safety__Exchange="$RUN_ID-safety" \
Disclosure__ScheduleCheckInterval="1.00:00:00" \
setsid dotnet run --project src/Outcomes.Service -c Release --no-build --urls "$URL" </dev/null >"$LOGS/service.log" 2>&1 &
service_pid=$!

deadline=$(( $(date +%s) + 180 ))
until curl -fsS -o /dev/null --max-time 2 "$URL/health/ready" 2>/dev/null; do
    kill -0 "$service_pid" 2>/dev/null || { tail -n 30 "$LOGS/service.log" >&2; say "the service exited"; exit 1; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 "$LOGS/service.log" >&2; say "not ready within 180 s"; exit 1; }
    sleep 1
done

outcomes() { dotnet run --project src/Outcomes.Cli -c Release --no-build -- "$@"; }
key="$(sed -n 's/.*"SigningKey": *"\([^"]*\)".*/\1/p' src/Outcomes.Service/appsettings.Development.json)"
ADMIN="$(outcomes token --key "$key" --sub golden-admin --role admin --clinics '*' --minutes 120)"
RESEARCHER="$(outcomes token --key "$key" --sub golden-researcher --role researcher --clinics clinic-a,clinic-b,clinic-c,clinic-d --minutes 120)"

# The start-up release (ReleaseSchedule cuts one at first start): wait for it so that release ids do not depend on timing.
deadline=$(( $(date +%s) + 60 ))
until [ "$("${PSQL[@]}" -c "select count(*) from $SCHEMA.disclosure_releases" 2>/dev/null || echo 0)" -ge 1 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { say "the start-up release was not cut within 60 s"; exit 1; }
    sleep 0.5
done
# (The start-up release, of no courses, already made a random one: replaced, it is used from the next cut on.)
"${PSQL[@]}" -c "insert into $SCHEMA.disclosure_secret (id, secret) values (1, '\\x$PINNED_SECRET'::bytea) on conflict (id) do update set secret = excluded.secret"

say "loading $PATIENTS demo patients (seed 42)"
outcomes demo --patients "$PATIENTS" --seed 42 --out "$LOGS/feed.ndjson" >/dev/null
outcomes load "$LOGS/feed.ndjson" --url "$URL" --token "$ADMIN" >"$LOGS/load.log" 2>&1 || { cat "$LOGS/load.log" >&2; say "load failed"; exit 1; }
"${PSQL[@]}" -c "update $SCHEMA.mt_events set timestamp = '$PINNED_STORE_TIME'::timestamptz + seq_id * interval '1 second'"
latest="$("${PSQL[@]}" -c "select max(seq_id) from $SCHEMA.mt_events")"
earlier=$(( latest / 2 ))
say "loaded: latest position $latest; the earlier position is $earlier"

get() { # NAME TOKEN PATH
    local status
    status="$(curl -sS -o "$OUT/$1" -w '%{http_code}' --max-time 300 -H "Authorization: Bearer $2" "$URL$3")"
    [ "$status" = 200 ] || { say "GET $3: HTTP $status: $(head -c 400 "$OUT/$1")"; exit 1; }
}
post() { # NAME TOKEN PATH BODY
    local status
    status="$(curl -sS -o "$OUT/$1" -w '%{http_code}' --max-time 300 -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
        -X POST --data "$4" "$URL$3")"
    [ "$status" = 200 ] || { say "POST $3: HTTP $status: $(head -c 400 "$OUT/$1")"; exit 1; }
}

# Caught up: the report stands at the latest position (the read model is written with the events, but say so by polling).
deadline=$(( $(date +%s) + 120 ))
until get probe.json "$ADMIN" /api/v1/reports/overview && [ "$(jq -r ".provenance.eventStorePosition // empty" "$OUT/probe.json")" = "$latest" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { say "reports did not reach position $latest within 120 s"; exit 1; }
    sleep 1
done
rm -f "$OUT/probe.json"

get reports.json "$ADMIN" /api/v1/reports
mapfile -t names < <(jq -r '.[].name' "$OUT/reports.json")
for name in "${names[@]}"; do
    get "report-$name.json" "$ADMIN" "/api/v1/reports/$name"
    get "report-$name-clinic-b.json" "$ADMIN" "/api/v1/reports/$name?clinicId=clinic-b"
    get "report-$name-asof-$earlier.json" "$ADMIN" "/api/v1/reports/$name?asOfPosition=$earlier"
done
adhoc='{"name":"golden-adhoc","version":"1","title":"Golden ad-hoc cohort","filter":{"modality":["iv-ketamine","intranasal-esketamine"]},"groupBy":"clinic","options":{"inductionWindowDays":42}}'
post report-adhoc.json "$ADMIN" /api/v1/reports/cohort "$adhoc"
post report-adhoc-asof-$earlier.json "$ADMIN" "/api/v1/reports/cohort?asOfPosition=$earlier" "$adhoc"

say "cutting a release"
post release.json "$ADMIN" /api/v1/releases ''
"${PSQL[@]}" -c "update $SCHEMA.disclosure_releases set cut_at = '$PINNED_CUT_TIME'::timestamptz + id * interval '1 day'"
get releases.json "$ADMIN" /api/v1/releases
rm -f "$OUT/release.json"
for name in "${names[@]}"; do
    get "report-$name-network.json" "$ADMIN" "/api/v1/reports/$name?coverage=network"
    get "report-$name-researcher.json" "$RESEARCHER" "/api/v1/reports/$name"
done
post report-adhoc-network.json "$ADMIN" "/api/v1/reports/cohort?coverage=network" "$adhoc"

# A few courses: the first enrolments of three clinics.
mapfile -t patients < <(grep -o '"clinicId":"clinic-[abc]","patientKey":"[^"]*"' "$LOGS/feed.ndjson" \
    | sed 's/"clinicId":"\([^"]*\)","patientKey":"\([^"]*\)"/\1\/\2/' | awk -F/ '!seen[$1]++' | head -n 3)
for patient in "${patients[@]}"; do
    get "course-${patient//\//-}.json" "$ADMIN" "/api/v1/patients/$patient"
done

for format in csv parquet; do
    post "export-overview-$format.zip" "$RESEARCHER" /api/v1/exports "{\"report\":\"overview\",\"format\":\"$format\"}"
done
post export-filter-csv.zip "$RESEARCHER" /api/v1/exports '{"filter":{"modality":["iv-ketamine"]},"format":"csv"}'
# The zips' members, for readable diffs.
for zip in "$OUT"/*.zip; do
    mkdir -p "$zip.d"
    (cd "$zip.d" && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall()' "$zip")
done

actual="$LOGS/actual.sha256"
(cd "$OUT" && find . -type f ! -path '*.zip.d/*' -printf '%P\n' | LC_ALL=C sort | xargs sha256sum) >"$actual"
count="$(wc -l <"$actual")"
if [ "$mode" = --write ]; then
    mkdir -p "$(dirname "$file")"
    cp "$actual" "$file"
    say "wrote $count hashes to $file (outputs in $OUT)"
    exit 0
fi
if diff -u "$file" "$actual" >"$LOGS/check.diff"; then
    say "identical: $count outputs match $file"
else
    cat "$LOGS/check.diff" >&2
    say "DIFFERENT: see $LOGS/check.diff; outputs in $OUT"
    exit 1
fi
