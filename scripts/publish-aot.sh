#!/usr/bin/env bash
# Publishes `stepwise` as a Native AOT executable for linux-x64: artifacts/aot/stepwise (or the folder given as $1).
# Needs the .NET 10 SDK and a C toolchain for the native link (Debian: clang or gcc, and zlib1g-dev); run as root it
# installs what is missing, otherwise it prints the apt-get line. The parser library stays a system package
# (libpg-query1504.0): the executable finds it the same way the .NET tool does. Takes minutes: ILCompiler compiles
# the whole program. Do not run a build of the same tree at the same time (the compiler maps the assemblies it reads).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="${1:-artifacts/aot}"

missing=()
command -v clang >/dev/null || command -v gcc >/dev/null || missing+=(clang)
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "publish-aot: the native link needs: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi

dotnet publish src/Stepwise.Cli -c Release -r linux-x64 -p:PublishAot=true -warnaserror -nologo -v quiet -clp:ErrorsOnly -o "$out"
# The assembly is Stepwise.Cli (docs/design.md); the command is stepwise.
mv -f "$out/Stepwise.Cli" "$out/stepwise"
[ -e "$out/Stepwise.Cli.dbg" ] && mv -f "$out/Stepwise.Cli.dbg" "$out/stepwise.dbg"
echo "publish-aot: $out/stepwise ($(du -h "$out/stepwise" | cut -f1))"
