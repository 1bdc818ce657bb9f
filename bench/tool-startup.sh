#!/usr/bin/env bash
# Start-up of installed `minime` tools (docs/benchmarks.md, "Install: package size and start-up"): runs
# `minime --version`, `minime --help` and `minime search` (a one-note workspace, lexical and embedding) in each
# tool path, interleaved run by run so that load on the machine hits every tool alike, and prints the median
# and the fastest wall time of each in milliseconds, as a Markdown table.
# Usage: bench/tool-startup.sh [--runs N] NAME=TOOL_PATH [NAME=TOOL_PATH ...]
#   e.g. bench/tool-startup.sh --runs 30 jit=/tmp/tp-jit r2r=/tmp/tp-r2r   (each made by dotnet tool install --tool-path)
set -euo pipefail
runs=20
if [ "${1:-}" = --runs ]; then runs="$2"; shift 2; fi
[ $# -ge 1 ] || { echo "usage: bench/tool-startup.sh [--runs N] NAME=TOOL_PATH ..." >&2; exit 2; }
names=(); paths=()
for spec in "$@"; do
  names+=("${spec%%=*}"); paths+=("${spec#*=}")
  [ -x "${spec#*=}/minime" ] || { echo "tool-startup: no minime in ${spec#*=}" >&2; exit 2; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CACHE_HOME="$work/cache" MINIME_TRUST_FILE="$work/trust.json" DOTNET_NOLOGO=1
mkdir -p "$HOME"
cd "$HOME"
echo "The lighthouse keeper polishes the brass lens every evening before the storm." > "$work/note.md"
for i in "${!names[@]}"; do
  export MINIME_HOME="$work/ws-${names[$i]}"
  "${paths[$i]}/minime" init >/dev/null 2>&1
  "${paths[$i]}/minime" import "$work/note.md" >/dev/null 2>&1
done

commands=("--version" "--help" "search lighthouse")
now() { date +%s%N; }
for run in $(seq "$runs"); do
  for c in "${!commands[@]}"; do
    for i in "${!names[@]}"; do
      export MINIME_HOME="$work/ws-${names[$i]}"
      # shellcheck disable=SC2086 # the command's words
      start=$(now); "${paths[$i]}/minime" ${commands[$c]} >/dev/null 2>&1; end=$(now)
      echo "$(( (end - start) / 1000 ))" >> "$work/t-$c-$i"
    done
  done
done

stat() { sort -n "$1" | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f / %.1f", m / 1000, a[1] / 1000 }'; }
printf '| command (median / fastest of %s, ms) |' "$runs"; for n in "${names[@]}"; do printf ' %s |' "$n"; done; echo
printf '| --- |'; for _ in "${names[@]}"; do printf ' --- |'; done; echo
for c in "${!commands[@]}"; do
  printf '| `minime %s` |' "${commands[$c]}"
  for i in "${!names[@]}"; do printf ' %s |' "$(stat "$work/t-$c-$i")"; done
  echo
done
