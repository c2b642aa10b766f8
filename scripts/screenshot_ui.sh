#!/usr/bin/env bash
# Capture the review report and (when a Prefect server is running) the last flow run's page in the
# Prefect UI as PNGs, with Debian's headless Chromium (apt-get install chromium).
#
#   scripts/screenshot_ui.sh [OUTPUT_DIR] [SHOTS_DIR]
#
# The UI shot needs `prefect server start` with PREFECT_SERVER_API_HOST/PREFECT_SERVER_API_PORT set
# to where it listens, and PREFECT_API_URL=http://HOST:PORT/api for this script and for the runs.
set -euo pipefail
out=${1:-output}
shots=${2:-$out/screenshots}
mkdir -p "$shots"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "no chromium: apt-get install chromium" >&2
  exit 2
fi
shoot() {  # URL FILE
  "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --hide-scrollbars --window-size=1400,1000 \
    --virtual-time-budget=20000 --screenshot="$2" "$1" >/dev/null 2>&1
  echo "wrote $2"
}
shoot "file://$(cd "$out" && pwd)/report.html" "$shots/report.png"
if [ -n "${PREFECT_API_URL:-}" ]; then
  python=${PYTHON:-.venv/bin/python}
  run_id=$("$python" - <<'PY'
import asyncio
from prefect.client.orchestration import get_client
from prefect.client.schemas.sorting import FlowRunSort

async def main():
    async with get_client() as client:
        runs = await client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
        print(runs[0].id if runs else "")

asyncio.run(main())
PY
)
  ui=${PREFECT_API_URL%/api}
  if [ -n "$run_id" ]; then
    shoot "$ui/runs/flow-run/$run_id" "$shots/flow-run.png"
  else
    echo "no flow run on $PREFECT_API_URL yet" >&2
  fi
fi
