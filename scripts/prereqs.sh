# Sourced by scripts/demo.sh and scripts/test.sh: checks for what Stepwise needs beyond the .NET SDK
# and installs the Debian packages when running as root (or prints the exact command otherwise).

if ! command -v dotnet >/dev/null 2>&1; then
    echo "stepwise: the .NET 10 SDK is required (https://learn.microsoft.com/dotnet/core/install/linux-debian)" >&2
    exit 1
fi

stepwise_missing_packages() {
    local missing=()
    if [ -z "${STEPWISE_PG_BIN:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
        missing+=(postgresql)
    fi
    if ! { /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null; } | grep -q 'libpg_query\.so\.1504\.0'; then
        missing+=(libpg-query1504.0)
    fi
    # The test suite reads what a real terminal shows through a tmux pane.
    if [ -n "${stepwise_for_tests:-}" ] && ! command -v tmux >/dev/null 2>&1; then
        missing+=(tmux)
    fi
    # The instance tests run applications through PgBouncer in transaction mode (PgBouncerFixture).
    if [ -n "${stepwise_for_tests:-}" ] && ! command -v pgbouncer >/dev/null 2>&1; then
        missing+=(pgbouncer)
    fi
    echo "${missing[@]:-}"
}

stepwise_missing="$(stepwise_missing_packages)"
if [ -n "$stepwise_missing" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "stepwise: installing $stepwise_missing" >&2
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        apt-get install -y -q $stepwise_missing >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q $stepwise_missing >/dev/null; } \
            || { echo "stepwise: could not install $stepwise_missing with apt-get" >&2; exit 1; }
    else
        echo "stepwise: missing packages. Install them with:" >&2
        echo "    sudo apt-get install -y $stepwise_missing" >&2
        exit 1
    fi
fi
unset stepwise_missing
