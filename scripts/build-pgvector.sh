#!/usr/bin/env bash
# Builds pgvector from the vendored source and installs it for the PostgreSQL server the tests use,
# so the test cluster can CREATE EXTENSION vector (Debian has no pgvector package for this release).
#
# The vendored source is pgvector-0.8.6/ in the first vendor folder found:
#   1. $MINIME_VENDOR_DIR                           (set it when the source lives elsewhere)
#   2. <repo>/../shared/vendor                      (the project's working copies sit beside shared/)
#   3. <origin>/../shared/vendor                    (a clone, e.g. CI's, of a local repo: its origin remote path)
# It is copied to a temporary folder before building (the vendor folder may be read-only) and built
# portably (OPTFLAGS="", no -march=native) with the server's pg_config.
#
# Install: as root (or with passwordless sudo) into the server's own folders. Otherwise a staged copy:
# the server's binaries, libraries and share folder are copied under $MINIME_PGVECTOR_STAGE (default
# <repo>/artifacts/postgres-pgvector) with pgvector installed into it (DESTDIR); PostgreSQL finds its
# share and lib folders relative to its binary, so that copy is a server with pgvector. The staged bin
# folder is then printed on stdout, for MINIME_TEST_POSTGRES_BIN (scripts/test.sh exports it).
#
# MINIME_PGVECTOR_INSTALL=staged stages even as root (leaves the server's folders alone).
#
# Idempotent: does nothing when vector.control of the same version is already installed (or, without
# the vendored source, of any version). Every failure is one line on stderr and exit 0: the pgvector
# tests then skip with their reason.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
folder=pgvector-0.8.6

fail() {
  echo "build-pgvector: $*; the pgvector tests will be skipped" >&2
  exit 0
}

# The PostgreSQL bin folder the tests use: the one PostgresBinaries.cs picks (the newest major version).
pg_bin() {
  if [ -n "${MINIME_TEST_POSTGRES_BIN:-}" ]; then echo "$MINIME_TEST_POSTGRES_BIN"; return; fi
  local dir major best="" best_major=0
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] || continue
    major="${dir%/bin}"; major="${major##*/}"; major="${major%%.*}"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    if [ "$major" -gt "$best_major" ]; then best="$dir"; best_major="$major"; fi
  done
  echo "$best"
}

vendor_source() {
  local candidates=() origin
  [ -n "${MINIME_VENDOR_DIR:-}" ] && candidates+=("$MINIME_VENDOR_DIR")
  candidates+=("$root/../shared/vendor")
  if origin="$(git -C "$root" remote get-url origin 2>/dev/null)"; then
    origin="${origin#file://}"
    [ -d "$origin" ] && candidates+=("$origin/../shared/vendor")
  fi
  local dir
  for dir in "${candidates[@]}"; do
    if [ -f "$dir/$folder/vector.control" ]; then (cd "$dir/$folder" && pwd); return; fi
  done
  return 1
}

control_version() { sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" "$1" 2>/dev/null; }

bin="$(pg_bin)"
[ -n "$bin" ] && [ -x "$bin/initdb" ] || fail "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)"
pg_config="$bin/pg_config"
[ -x "$pg_config" ] || fail "no pg_config in $bin"
sharedir="$("$pg_config" --sharedir)"
pkglibdir="$("$pg_config" --pkglibdir)"
if ! source="$(vendor_source)"; then
  # Without the source, an installed pgvector of any version is what the tests get.
  [ -f "$sharedir/extension/vector.control" ] && [ -f "$pkglibdir/vector.so" ] && exit 0
  fail "vendored source $folder not found (looked in \$MINIME_VENDOR_DIR, $root/../shared/vendor and the origin remote's ../shared/vendor)"
fi
version="$(control_version "$source/vector.control")"
installed() { [ "$(control_version "$1$sharedir/extension/vector.control")" = "$version" ] && [ -f "$1$pkglibdir/vector.so" ]; }

if [ "${MINIME_PGVECTOR_INSTALL:-}" = staged ]; then
  mode=staged; sudo=()
elif [ "$(id -u)" -eq 0 ]; then
  mode=system; sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  mode=system; sudo=(sudo -n)
else
  mode=staged; sudo=()
fi
stage="${MINIME_PGVECTOR_STAGE:-$root/artifacts/postgres-pgvector}"
staged_bin="$stage$bin"
if [ "$mode" = system ] && installed ""; then exit 0; fi
if [ "$mode" = staged ] && [ -x "$staged_bin/postgres" ] && installed "$stage"; then
  echo "$staged_bin"
  exit 0
fi
# Without root, a matching system install still serves (someone installed it for us).
if [ "$mode" = staged ] && [ -z "${MINIME_PGVECTOR_INSTALL:-}" ] && installed ""; then exit 0; fi

pgxs="$("$pg_config" --pgxs)"
[ -f "$pgxs" ] || fail "PGXS missing ($pgxs): install postgresql-server-dev-$(basename "$(dirname "$bin")") (scripts/install-deps.sh does as root)"
command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 || fail "make or gcc missing: install build-essential"

work="$(mktemp -d "${TMPDIR:-/tmp}/minime-pgvector.XXXXXX")" || fail "cannot create a temporary folder"
trap 'rm -rf "$work"' EXIT
log="$work/build.log"
cp -r "$source" "$work/src" || fail "cannot copy $source to $work"
echo "build-pgvector: building pgvector $version for PostgreSQL $("$pg_config" --version | awk '{print $2}') ($mode install)..." >&2
if ! make -C "$work/src" -j"$(nproc 2>/dev/null || echo 2)" PG_CONFIG="$pg_config" OPTFLAGS="" >"$log" 2>&1; then
  cp "$log" /tmp/minime-build-pgvector.log 2>/dev/null
  fail "make failed (last line: $(tail -n 1 "$log"); full log /tmp/minime-build-pgvector.log)"
fi

if [ "$mode" = system ]; then
  if ! "${sudo[@]}" make -C "$work/src" install PG_CONFIG="$pg_config" >>"$log" 2>&1; then
    cp "$log" /tmp/minime-build-pgvector.log 2>/dev/null
    fail "make install failed (last line: $(tail -n 1 "$log"); full log /tmp/minime-build-pgvector.log)"
  fi
  installed "" || fail "make install did not leave vector.control $version in $sharedir/extension"
  exit 0
fi

# Staged: a copy of the server (binaries, its libraries, its share folder) with pgvector added.
rm -rf "$stage"
mkdir -p "$stage$bin" "$stage$pkglibdir" "$stage$sharedir" || fail "cannot create $stage"
cp -a "$bin/." "$stage$bin/" && cp -a "$pkglibdir/." "$stage$pkglibdir/" && cp -a "$sharedir/." "$stage$sharedir/" \
  || fail "cannot copy the server into $stage"
if ! make -C "$work/src" install PG_CONFIG="$pg_config" DESTDIR="$stage" >>"$log" 2>&1; then
  cp "$log" /tmp/minime-build-pgvector.log 2>/dev/null
  fail "staged make install failed (last line: $(tail -n 1 "$log"); full log /tmp/minime-build-pgvector.log)"
fi
installed "$stage" || fail "staged install did not leave vector.control $version in $stage$sharedir/extension"
echo "$staged_bin"
