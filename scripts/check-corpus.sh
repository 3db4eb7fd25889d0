#!/usr/bin/env bash
# Parsing fidelity against ../shared/corpus (not a timed test): feedparser's own cases, and every
# item of the captured real-world feeds against Python feedparser's reading of the same bytes.
set -uo pipefail
cd "$(dirname "$0")/.."
TOOL=../shared/tools/feedcheck.py
SHOW=${SHOW:-0}
echo "== cases (Python feedparser's test suite)"
python3 "$TOOL" cases --show "$SHOW" -- npm run -s cli -- parse | tail -n "$((SHOW * 3 + 1))"
echo "== oracle (real-world feeds vs Python feedparser; needs: apt-get install python3-feedparser)"
/usr/bin/python3 "$TOOL" oracle --show "$SHOW" -- npm run -s cli -- parse | tail -n "$((SHOW * 3 + 1))"
