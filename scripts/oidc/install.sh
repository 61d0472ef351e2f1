#!/usr/bin/env bash
# Installs the test identity provider's packages (oidc-provider, pinned by package-lock.json) with npm ci, once:
# nothing to do while node_modules matches the lock file. Called by `scripts/services.sh install` and `scripts/test.sh`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] && [ -d node_modules/oidc-provider ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "oidc: npm is missing: install Node.js 20 or later with npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi
mkdir -p ../../.run/logs
if ! npm ci --no-audit --no-fund --loglevel=error >>../../.run/logs/npm-oidc.log 2>&1; then
    tail -n 20 ../../.run/logs/npm-oidc.log >&2
    echo "oidc: npm ci failed (log: .run/logs/npm-oidc.log)" >&2
    exit 1
fi
echo "oidc: test identity provider installed (oidc-provider $(node -p "require('./node_modules/oidc-provider/package.json').version" 2>/dev/null || echo '?'))"
