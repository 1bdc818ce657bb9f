#!/usr/bin/env bash
# Runs the whole test suite and ends with one plain summary line:
#   "<passed> passed, <failed> failed, <skipped> skipped"
# Exit code is non-zero when the build fails or any test fails.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter Category!=Integration]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

# System packages for the integration tests (sandbox, PostgreSQL, browser); a no-op when present.
bash "$root/scripts/install-deps.sh"
# pgvector from the vendored source, so its tests run; prints a bin folder only when it had to stage a server copy.
pgvector_bin="$(bash "$root/scripts/build-pgvector.sh")"
[ -n "$pgvector_bin" ] && export MINIME_TEST_POSTGRES_BIN="$pgvector_bin"

dotnet build MiniMe.slnx -c Release --nologo -v quiet -warnaserror
build_rc=$?
if [ $build_rc -ne 0 ]; then
  echo "build failed (exit $build_rc)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

dotnet test MiniMe.slnx -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=normal" \
  --results-directory "$results" "$@"
test_rc=$?

passed=0; failed=0; skipped=0; found=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  found=1
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  # xUnit marks skipped tests NotExecuted but leaves the notExecuted counter at 0: skipped = total - executed.
  skipped=$((skipped + $(get total) - $(get executed)))
done

if [ $found -eq 0 ]; then
  echo "no test results were written (dotnet test exit $test_rc)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
if [ $test_rc -ne 0 ] && [ $failed -eq 0 ]; then
  failed=1   # the runner failed (crash, abort) without a failed test in the results
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] && [ $test_rc -eq 0 ]
