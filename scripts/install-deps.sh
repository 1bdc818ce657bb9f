#!/usr/bin/env bash
# Installs the system packages the integration tests use, from Debian's repositories, when missing:
#   bubblewrap  - the sandbox for run_command (tests of the real sandbox)
#   postgresql  - the second memory store (tests start a throwaway server themselves)
#   chromium    - the browser that drives the web UI tests (Playwright never downloads one)
# Idempotent and quiet when everything is present. Without root (or passwordless sudo) it says what
# is missing and exits 0: the tests that need a missing package are skipped with that reason.
set -uo pipefail

missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "install-deps: missing ${missing[*]} and no root/sudo to install them; their tests will be skipped" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${missing[*]} and no apt-get here; their tests will be skipped" >&2
  exit 0
fi

echo "install-deps: installing ${missing[*]} from Debian..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/minime-install-deps.log 2>&1; then
  echo "install-deps: apt-get failed (see /tmp/minime-install-deps.log); tests needing ${missing[*]} will be skipped" >&2
  tail -n 5 /tmp/minime-install-deps.log >&2
fi
exit 0
