#!/usr/bin/env bash
# Runs `stepwise demo`: a zero-downtime schema change on a throwaway PostgreSQL. Extra arguments go
# to the command (e.g. --format json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/prereqs.sh
build_log="$(dotnet build src/Stepwise.Cli -c Release -nologo -v quiet 2>&1)" || { echo "$build_log" >&2; exit 1; }
exec dotnet src/Stepwise.Cli/bin/Release/net10.0/Stepwise.Cli.dll demo "$@"
