#!/usr/bin/env bash
# Installs the `outcomes` command line as a .NET tool, so that it runs by that name.
#
#   scripts/install-cli.sh                 for this user (dotnet tool --global: ~/.dotnet/tools, on PATH after the SDK's set-up)
#   scripts/install-cli.sh --tool-path DIR into DIR (put DIR on PATH yourself), e.g. .run/tools for this checkout only
#
# Run it again after pulling: it packs this checkout's CLI and updates the installed tool to it.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PACKAGES="$REPO/.run/packages"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

case "${1:-}" in
    "") where=(--global); shown="$HOME/.dotnet/tools" ;;
    --tool-path) [ -n "${2:-}" ] || { echo "usage: scripts/install-cli.sh [--tool-path DIR]" >&2; exit 2; }
                 mkdir -p "$2"; where=(--tool-path "$2"); shown="$(cd "$2" && pwd -P)" ;;
    *) echo "usage: scripts/install-cli.sh [--tool-path DIR]" >&2; exit 2 ;;
esac

# A version of its own each time, so that an update always replaces what an earlier run installed.
version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
mkdir -p "$PACKAGES" "$REPO/.run/logs"
echo "install-cli: packing src/Outcomes.Cli (log: .run/logs/install-cli.log)"
if ! dotnet pack "$REPO/src/Outcomes.Cli" -c Release -o "$PACKAGES" -p:Version="$version" >"$REPO/.run/logs/install-cli.log" 2>&1; then
    grep -E ': error ' "$REPO/.run/logs/install-cli.log" | sort -u | tail -n 20 >&2 || tail -n 30 "$REPO/.run/logs/install-cli.log" >&2
    echo "install-cli: the pack failed" >&2
    exit 1
fi
# `update` installs the tool when it is missing and replaces it when it is there.
dotnet tool update "${where[@]}" --add-source "$PACKAGES" --ignore-failed-sources --allow-downgrade --version "$version" Outcomes.Cli >>"$REPO/.run/logs/install-cli.log" 2>&1 \
    || { tail -n 20 "$REPO/.run/logs/install-cli.log" >&2; echo "install-cli: the install failed" >&2; exit 1; }
echo "install-cli: 'outcomes' $version installed in $shown"
case ":$PATH:" in
    *":$shown:"*) ;;
    *) echo "install-cli: $shown is not on PATH; add it: export PATH=\"$shown:\$PATH\"" ;;
esac
