#!/usr/bin/env bash
# Builds everything with warnings as errors and runs every test project against real PostgreSQL
# (each integration test class starts its own throwaway server). Fails if any test fails or none ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stepwise_for_tests=1
source scripts/prereqs.sh

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

dotnet build Stepwise.slnx -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly

status=0
for project in tests/*/*.csproj; do
    name="$(basename "$project" .csproj)"
    echo "== $name"
    dotnet test "$project" -c Release --no-build -nologo \
        --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
        --logger "console;verbosity=minimal" || status=1
done

total=0
for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    n="$(grep -o '<Counters [^>]*' "$trx" | grep -o ' executed="[0-9]*"' | grep -o '[0-9]*' || echo 0)"
    total=$((total + n))
done
echo "== $total tests executed"
if [ "$total" -eq 0 ]; then
    echo "stepwise: no test ran" >&2
    exit 1
fi
exit "$status"
