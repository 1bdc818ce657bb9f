#!/usr/bin/env bash
# Quick start on the embedded defaults (SQLite memory, the bundled all-MiniLM-L6-v2 embedding model,
# no LLM needed): creates a workspace, imports this repository's docs with vectors and its code as
# text (searchable at once; its vectors fill in with `minime index fill`), searches by meaning, and
# plans a task with a dry-run ask. Safe to run again: import is idempotent and an existing workspace is kept.
# Usage: scripts/quickstart.sh            (workspace: $MINIME_HOME or ./.minime)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export MINIME_HOME="${MINIME_HOME:-$root/.minime}"
minime() { "$root/minime" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "minime init  (workspace: $MINIME_HOME)"
if [ -f "$MINIME_HOME/config.yaml" ]; then
  echo "workspace already initialized; keeping it"
else
  minime init
fi

step "minime import README.md docs --tags minime"
minime import README.md docs --tags minime

step "minime import src --tags minime --no-vectors   (1,400+ chunks: text now, vectors later)"
minime import src --tags minime --no-vectors

step "minime search \"how are chunks ranked\""
minime search "how are chunks ranked" -k 5

step "minime ask --dry-run \"add a retry with backoff to the importer\""
minime ask --dry-run "add a retry with backoff to the importer"

step "done"
echo "Try: ./minime index fill (vectors for the code), ./minime search QUERY, ./minime runs, ./minime trace RUN_ID, ./minime --help"
