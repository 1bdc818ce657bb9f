#!/usr/bin/env bash
# Installs the web UI's browser libraries from the npm registry (versions and integrity pinned by
# src/MiniMe.Server/web/package-lock.json) and copies their ready-made browser builds into
# src/MiniMe.Server/wwwroot/vendor. No bundler, no other download. MiniMe.Server's build runs this
# when the vendor folder is incomplete; run it by hand after changing web/package.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/src/MiniMe.Server/web"
vendor="$root/src/MiniMe.Server/wwwroot/vendor"

if ! command -v npm >/dev/null 2>&1; then
  # A machine with only the .NET SDK: take Node.js and npm from Debian when we may.
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; }; then
    sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
    echo "installing nodejs and npm from Debian for the web UI's libraries..." >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is not installed and could not be installed; install Node.js and npm (Debian: apt-get install -y nodejs npm), then rerun $0" >&2
  exit 1
fi

cd "$web"
npm ci --no-audit --no-fund --loglevel=error

staging="$(mktemp -d "$root/src/MiniMe.Server/wwwroot/.vendor.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
chmod 755 "$staging"
cp node_modules/marked/lib/marked.esm.js "$staging/marked.esm.js"
cp node_modules/dompurify/dist/purify.es.mjs "$staging/purify.es.mjs"
cp node_modules/chart.js/dist/chart.umd.min.js "$staging/chart.umd.min.js"
mkdir -p "$staging/licenses"
cp node_modules/marked/LICENSE "$staging/licenses/marked.txt"
cp node_modules/dompurify/LICENSE "$staging/licenses/dompurify.txt"
cp node_modules/chart.js/LICENSE.md "$staging/licenses/chart.js.md"

# Swap in the complete folder at once: a build never sees half a vendor folder.
rm -rf "$vendor"
mv "$staging" "$vendor"
trap - EXIT
echo "web vendor files installed in ${vendor#"$root"/}"
