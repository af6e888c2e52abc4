#!/usr/bin/env bash
# Run DAISY Ace (pinned in package.json, installed here) on one EPUB with Debian's Chromium.
#   tests/ace/run.sh BOOK.epub OUTDIR      -> OUTDIR/report.json (and report.html)
# Install first, once:
#   (cd tests/ace && PUPPETEER_SKIP_DOWNLOAD=1 ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci)
# Exit status: Ace's own (0 even when it finds violations: read report.json); 3 when not installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ $# -ne 2 ]; then
  echo "usage: $0 BOOK.epub OUTDIR" >&2
  exit 2
fi
ace="$here/node_modules/.bin/ace-puppeteer"
if [ ! -x "$ace" ]; then
  echo "DAISY Ace is not installed: run (cd tests/ace && PUPPETEER_SKIP_DOWNLOAD=1 ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci)" >&2
  exit 3
fi
export PUPPETEER_EXECUTABLE_PATH="${PUPPETEER_EXECUTABLE_PATH:-/usr/bin/chromium}"
if [ ! -x "$PUPPETEER_EXECUTABLE_PATH" ]; then
  echo "no Chromium at $PUPPETEER_EXECUTABLE_PATH: apt-get install chromium, or set PUPPETEER_EXECUTABLE_PATH" >&2
  exit 3
fi
exec "$ace" --silent --force --outdir "$2" "$1"
