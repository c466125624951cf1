#!/usr/bin/env bash
# Builds everything with warnings as errors and runs every test project against real PostgreSQL
# (each integration test class starts its own throwaway server). Fails if any test fails or none ran.
# With --native: publishes the Native AOT executable (scripts/publish-aot.sh, into artifacts/aot) and runs the CLI tests
# against it instead (STEPWISE_TEST_CLI; the classes that drive the command, docs/cli.md#native-executable).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
stepwise_for_tests=1
source scripts/prereqs.sh

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

# The test classes that run the command and need nothing else: the rest call the library, the same either way.
declare -A filter=()
native=""
if [ "${1:-}" = "--native" ]; then
    native=1
    bash scripts/publish-aot.sh artifacts/aot
    export STEPWISE_TEST_CLI="$PWD/artifacts/aot/stepwise"
    filter[Stepwise.Tests]="FullyQualifiedName~Stepwise.Tests.Cli|FullyQualifiedName~ImportCommandTests|FullyQualifiedName~ForeignLayoutTests|FullyQualifiedName~OperationMigrationDirectoryTests|FullyQualifiedName~OutputBoundsTests"
    filter[Stepwise.IntegrationTests]="FullyQualifiedName~Stepwise.IntegrationTests.Cli|FullyQualifiedName~LintWithDatabaseTests|FullyQualifiedName~SecretsTests"
fi

dotnet build Stepwise.slnx -c Release -warnaserror -nologo -v quiet -clp:ErrorsOnly

status=0
for project in tests/*/*.csproj; do
    name="$(basename "$project" .csproj)"
    selection=()
    if [ -n "$native" ]; then
        [ -n "${filter[$name]:-}" ] || continue
        selection=(--filter "${filter[$name]}")
    fi
    echo "== $name${STEPWISE_TEST_CLI:+ (the command: $STEPWISE_TEST_CLI)}"
    dotnet test "$project" -c Release --no-build -nologo "${selection[@]}" \
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
