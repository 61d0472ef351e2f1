#!/usr/bin/env bash
# Runs every test project against PostgreSQL and RabbitMQ.
#
#   scripts/test.sh [dotnet test arguments, e.g. --filter Category!=Slow]
#
# Brings the services up (scripts/services.sh), runs `dotnet test Outcomes.sln -c Release`
# with .run/services.env in the environment, and ends with the line
# `N passed, N failed[, N skipped]` summed over the projects. A build failure, a crashed test
# host or a failed service start counts as at least one failure. Services that were already up
# (held by this or another checkout) stay up; services this run started are stopped.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO" || exit 1
mkdir -p .run/logs
LOG=.run/logs/test.log
LEASE="test-$$"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The terminal logger would replace the per-project summary lines this script reads.
export MSBUILDTERMINALLOGGER=off

passed=0 failed=0 skipped=0 rc=0 held=0

finish() {
    local status=$?
    trap - EXIT
    # Cleanup runs to the end even on a second Ctrl-C or when a reader of our output went away.
    trap '' INT TERM PIPE
    if [ "$held" = 1 ]; then
        bash scripts/services.sh down --lease "$LEASE" || true
    fi
    [ "$rc" = 0 ] && rc=$status
    if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
    [ "$failed" != 0 ] && [ "$rc" = 0 ] && rc=1
    local line="$passed passed, $failed failed"
    [ "$skipped" != 0 ] && line="$line, $skipped skipped"
    echo "$line"
    exit "$rc"
}
trap finish EXIT
trap 'rc=130; exit 130' INT
trap 'rc=143; exit 143' TERM

if ! bash scripts/services.sh up --lease "$LEASE" --pid $$; then
    echo "test.sh: the services did not start (logs in .run/logs/)" >&2
    rc=1
    exit 1
fi
held=1
# shellcheck source=/dev/null
. .run/services.env
# The sign-in tests start their own OpenID providers (scripts/oidc, one Node process per test class, stopped with it).
bash scripts/oidc/install.sh || echo "test.sh: the test identity provider is not installed; the sign-in tests will say why" >&2

# The three-node broker failover tests (Category=Cluster) start their own cluster (scripts/services.sh cluster up, three
# more RabbitMQ nodes on 26741-26743, machine-wide) and kill its nodes; CI runs them (.ci/run sets
# OUTCOMES_CLUSTER_TESTS=1). Locally they run when asked for, OUTCOMES_CLUSTER_TESTS=1 scripts/test.sh: on a machine shared
# by several checkouts, every checkout's test run would otherwise start and kill nodes of the one cluster. The replica's
# tests always run.
# OUTCOMES_CLUSTER_TESTS=all, which once added the leader-kill test (docs/scaling.md), is now the same as 1.
filter=()
case "${OUTCOMES_CLUSTER_TESTS:-0}" in
    1|all) ;;
    *) filter=(--filter "Category!=Cluster") ;;
esac
dotnet test Outcomes.sln -c Release "${filter[@]}" "$@" 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}

# VSTest prints one line per test assembly:
#   Passed!  - Failed:     0, Passed:    12, Skipped:     1, Total:    13, Duration: ... - X.Tests.dll (net10.0)
read -r passed failed skipped < <(
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$LOG" | awk '
        /(Passed|Failed)! +- +Failed: +[0-9]+, +Passed: +[0-9]+, +Skipped: +[0-9]+/ {
            line = $0
            gsub(/,/, " ", line)
            n = split(line, w, " ")
            for (i = 1; i < n; i++) {
                if (w[i] == "Failed:")  f += w[i + 1]
                if (w[i] == "Passed:")  p += w[i + 1]
                if (w[i] == "Skipped:") s += w[i + 1]
            }
        }
        # A project that did not build ran none of its tests: count it as a failure.
        / error [A-Z]+[0-9]+: / && match($0, /\[[^]]*\]$/) { errs[substr($0, RSTART)] = 1 }
        END { for (e in errs) f++; printf "%d %d %d\n", p, f, s }')
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
exit "$rc"
