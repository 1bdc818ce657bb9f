#!/usr/bin/env bash
# Builds the MiniMe .NET tool packages into artifacts/packages (docs/install.md):
#   MiniMe.<version>.nupkg            the pointer package: no code, it names the platform packages below
#   MiniMe.linux-x64.<version>.nupkg  the framework-dependent tool for linux-x64 alone: its native OnnxRuntime
#                                     and SQLite libraries, the bundled embedding models, ReadyToRun code
# then installs with:  dotnet tool install --global MiniMe --add-source artifacts/packages
# Usage: scripts/pack.sh [--output DIR] [--version VERSION] [--no-ready-to-run]
#   --output DIR        where the .nupkg files go (default <repo>/artifacts/packages); its older MiniMe*.nupkg are removed
#   --version VERSION   the package version (default: the project's, 1.0.0); a pre-release such as 1.1.0-dev.1 works
#   --no-ready-to-run   JIT-only platform package (only to compare start-up; the default is ReadyToRun)
# Needs only the .NET SDK and the packages restore already uses (nothing else is downloaded).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/src/MiniMe.Cli/MiniMe.Cli.csproj"
output="$root/artifacts/packages"
version=""
ready_to_run=true

fail() { echo "pack: $1" >&2; exit "${2:-1}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --output) [ $# -ge 2 ] && [ -n "$2" ] || fail "--output needs a folder" 2; output="$2"; shift 2 ;;
    --version) [ $# -ge 2 ] && [ -n "$2" ] || fail "--version needs a version such as 1.0.0" 2; version="$2"; shift 2 ;;
    --no-ready-to-run) ready_to_run=false; shift ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' (scripts/pack.sh --help lists the options)" 2 ;;
  esac
done
if [ -n "$version" ] && ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  fail "'$version' is not a package version (use MAJOR.MINOR.PATCH, optionally -PRERELEASE: 1.2.0 or 1.2.0-dev.1)" 2
fi
command -v dotnet >/dev/null 2>&1 || fail "dotnet is not on PATH: install the .NET 10 SDK" 3

mkdir -p "$output" || fail "cannot create $output" 3
output="$(cd "$output" && pwd)"
rm -f "$output"/MiniMe.*.nupkg "$output"/minime.*.nupkg

work="$(mktemp -d "${TMPDIR:-/tmp}/minime-pack.XXXXXX")" || fail "cannot create a temporary folder" 3
trap 'rm -rf "$work"' EXIT
log="$work/pack.log"
# A fresh publish folder: publish copies only files newer than those already there, so a reused folder could keep
# the ReadyToRun images of an earlier pack in a --no-ready-to-run package (or the other way round).
args=(pack "$project" -c Release -o "$output" --nologo -v quiet -warnaserror -p:PublishReadyToRun="$ready_to_run" -p:PublishDir="$work/publish/")
# PackageVersion, not Version: the assemblies keep their version, so the libraries built for the tests stay up to date.
[ -n "$version" ] && args+=(-p:PackageVersion="$version")
echo "pack: dotnet pack src/MiniMe.Cli (Release, linux-x64, ReadyToRun: $ready_to_run)..." >&2
if ! dotnet "${args[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  fail "dotnet pack failed; see the errors above"
fi

shopt -s nullglob
packages=("$output"/MiniMe.*.nupkg)
[ ${#packages[@]} -ge 2 ] || fail "dotnet pack wrote no MiniMe packages into $output"
for package in "${packages[@]}"; do
  printf '%s\t%s bytes\n' "$package" "$(stat -c %s "$package")"
done
pointer="$(basename "$(ls "$output"/MiniMe.[0-9]*.nupkg)" .nupkg)"
echo "pack: install with: dotnet tool install --global MiniMe --add-source $output --version ${pointer#MiniMe.}" >&2
