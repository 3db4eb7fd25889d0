#!/usr/bin/env bash
# Parsing fidelity against a feed corpus (not a timed test): feedparser's own cases, and every
# item of the captured real-world feeds against Python feedparser's reading of the same bytes.
#
#   npm run check:corpus -- <corpus-folder>    (or CORPUS_DIR=<folder>; ../shared/corpus by default)
#
# The checker is the corpus's own tool, beside it (<corpus-folder>/../tools/feedcheck.py, or FEEDCHECK).
# MIN_CASES / MIN_ORACLE (percent) turn a fall below those floors into exit code 1.
set -uo pipefail
cd "$(dirname "$0")/.."
CORPUS=$(realpath "${1:-${CORPUS_DIR:-../shared/corpus}}")
TOOL=${FEEDCHECK:-$CORPUS/../tools/feedcheck.py}
SHOW=${SHOW:-0}
if [ ! -d "$CORPUS" ] || [ ! -f "$TOOL" ]; then
  echo "no corpus at $CORPUS or no checker at $TOOL: give the corpus folder as the first argument" >&2
  exit 2
fi
args=(--root "$CORPUS" --cases "$CORPUS/feedparser-cases.json" --list "$CORPUS/realworld.tsv" --show "$SHOW")
status=0
floor() { # <label> <output> <minimum percent>
  local pct
  pct=$(grep -o '([0-9.]*%)' <<<"$2" | tail -1 | tr -d '(%)')
  echo "$2" | tail -n "$((SHOW * 3 + 1))"
  if [ -n "${3:-}" ] && [ -n "$pct" ] && awk -v p="$pct" -v m="$3" 'BEGIN { exit !(p < m) }'; then
    echo "$1: ${pct}% is below the floor of $3%" >&2
    status=1
  fi
}
echo "== cases (Python feedparser's test suite)"
floor cases "$(python3 "$TOOL" cases "${args[@]}" -- npm run -s cli -- parse)" "${MIN_CASES:-}"
echo "== oracle (real-world feeds vs Python feedparser; needs: apt-get install python3-feedparser)"
floor oracle "$(/usr/bin/python3 "$TOOL" oracle "${args[@]}" -- npm run -s cli -- parse)" "${MIN_ORACLE:-}"
exit "$status"
