#!/usr/bin/env bash
# `npm run demo`: every stage on this machine against the embedded sandbox. Load needs a
# MongoDB-compatible server: MONGODB_URI, or a throwaway FerretDB from tools/bin, built here with
# Go the first time (then cached) when it is not there yet.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${MONGODB_URI:-}${MONGODB_URI_FILE:-}" && ! -x tools/bin/ferretdb ]]; then
  if command -v go >/dev/null 2>&1; then
    echo "demo: no MONGODB_URI and no tools/bin/ferretdb: building FerretDB with Go for the load stage (first run only, one to two minutes; kept in tools/bin)…" >&2
    if ! bash scripts/install-tools.sh ferretdb; then
      echo "demo: building FerretDB failed (see above); load will be skipped. Set MONGODB_URI to load into a MongoDB of yours." >&2
    fi
  else
    echo "demo: load will be skipped: no MONGODB_URI, no tools/bin/ferretdb, and no Go (1.22+) to build FerretDB with. Install Go, or set MONGODB_URI to a MongoDB of yours." >&2
  fi
fi
exec node dist/cli.js run-local --category paper --window-days 7 --data-url ./data --products 5000 "$@"
