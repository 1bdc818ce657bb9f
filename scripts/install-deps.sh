#!/usr/bin/env bash
# Installs the system packages the integration tests use, from Debian's repositories, when missing:
#   bubblewrap                  - the sandbox for run_command (tests of the real sandbox)
#   postgresql                  - the second memory store (tests start a throwaway server themselves)
#   postgresql-server-dev-N     - headers and PGXS for the installed server's major version N, so
#   build-essential               scripts/build-pgvector.sh can build pgvector from the vendored source
#   chromium                    - the browser that drives the web UI tests (Playwright never downloads one)
# Idempotent and quiet when everything is present. Without root (or passwordless sudo) it says what
# is missing and exits 0: the tests that need a missing package are skipped with that reason.
set -uo pipefail

# The newest PostgreSQL server major version installed (Debian's /usr/lib/postgresql/N/bin), or empty.
server_major() {
  local dir best=""
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] || continue
    dir="${dir%/bin}"; dir="${dir##*/}"
    if [ -z "$best" ] || [ "${dir%%.*}" -gt "${best%%.*}" ] 2>/dev/null; then best="$dir"; fi
  done
  echo "$best"
}

missing_packages() {
  local major
  missing=()
  command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
  major="$(server_major)"
  if [ -z "$major" ]; then
    missing+=(postgresql)
  elif [ ! -f "/usr/lib/postgresql/$major/lib/pgxs/src/makefiles/pgxs.mk" ] || [ ! -f "/usr/include/postgresql/$major/server/postgres.h" ]; then
    missing+=("postgresql-server-dev-$major")
  fi
  { command -v make && command -v gcc; } >/dev/null 2>&1 || missing+=(build-essential)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
}

missing_packages
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

export DEBIAN_FRONTEND=noninteractive
log=/tmp/minime-install-deps.log
install() {
  echo "install-deps: installing $* from Debian..." >&2
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1; then
    echo "install-deps: apt-get failed (see $log); tests needing $* will be skipped" >&2
    tail -n 5 "$log" >&2
  fi
}

: >"$log"
if ! "${sudo[@]}" apt-get update -qq >>"$log" 2>&1; then
  echo "install-deps: apt-get update failed (see $log); installing from the cached package lists" >&2
fi
install "${missing[@]}"
# The server-dev package follows the server's version, known only once postgresql is installed.
asked=" ${missing[*]} "
missing_packages
for package in "${missing[@]}"; do
  case "$package" in postgresql-server-dev-*) [[ "$asked" == *" $package "* ]] || install "$package" ;; esac
done
exit 0
