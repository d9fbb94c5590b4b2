#!/usr/bin/env bash
# `npm run lab`: JupyterLab on the project's TypeScript kernel (tslab), in one command.
#   First run: npm ci if node_modules is missing, then JupyterLab from PyPI into a venv under .cache (git-ignored,
#   ~1-2 min). Every run: brings the prebuilt library the notebooks import up to date (npm run build:lib), starts
#   Lab on 127.0.0.1 with the committed kernelspec (jupyter/kernels/tslab, found through JUPYTER_PATH; nothing
#   global, no `tslab install`), prints the URL with its token, opens a browser where there is a display.
#
#   npm run lab [-- --port N] [-- --setup-only] [-- --check]
#     --port N       port (default 8888, or the next free one)
#     --setup-only   install and check the kernel is visible, do not start Lab
#     --check        start Lab, confirm over its REST API that it lists our kernel, stop (what CI runs)
# Env: JUPYTERLAB_VERSION (pin, default below), LAB_VENV (default .cache/jupyterlab-venv), PYTHON (default python3).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
JUPYTERLAB_VERSION="${JUPYTERLAB_VERSION:-4.6.6}"
VENV="${LAB_VENV:-$ROOT/.cache/jupyterlab-venv}"
PY="${PYTHON:-python3}"
PORT=""; MODE=run
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT="${2:?--port needs a number}"; shift 2 ;;
    --setup-only) MODE=setup; shift ;;
    --check) MODE=check; shift ;;
    *) echo "lab: unknown option '$1' (expected --port N, --setup-only or --check)" >&2; exit 2 ;;
  esac
done
log() { echo "lab: $*" >&2; }
die() { echo "lab: $*" >&2; exit 1; }

if [ ! -x node_modules/.bin/tslab ]; then
  log "node_modules has no tslab: running npm ci"
  npm ci --no-audit --no-fund
fi

have() { [ -x "$VENV/bin/jupyter-lab" ] && [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("jupyterlab"))' 2>/dev/null)" = "$JUPYTERLAB_VERSION" ]; }
if ! have; then
  command -v "$PY" >/dev/null || die "'$PY' not found (JupyterLab comes from PyPI into a venv; install python3 with venv and pip)"
  log "first run: installing jupyterlab==$JUPYTERLAB_VERSION from PyPI into $VENV (about 1-2 min)"
  t0=$SECONDS
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV" || die "'$PY -m venv' failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/pip" install --disable-pip-version-check --quiet "jupyterlab==$JUPYTERLAB_VERSION"
  log "installed in $((SECONDS - t0)) s"
fi

# The notebooks import the prebuilt library (notebooks/lib → ../.cache/lib-dist; the kernel also rebuilds it at
# start when lib/ changed): build it now so the first kernel starts at once.
node scripts/build-lib.mjs || die "npm run build:lib failed (the notebooks import its output)"

export JUPYTER_PATH="$ROOT/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}" PATH="$ROOT/node_modules/.bin:$PATH"
specs=$("$VENV/bin/jupyter" kernelspec list 2>/dev/null || true)  # captured: grep -q on a pipe can SIGPIPE it under pipefail
grep -q "tslab .*$ROOT/jupyter/kernels/tslab" <<<"$specs" ||
  die "the project kernelspec ($ROOT/jupyter/kernels/tslab) is not visible to $VENV/bin/jupyter"
[ "$MODE" = setup ] && { log "ready: kernel tslab from $ROOT/jupyter/kernels/tslab; start with npm run lab"; exit 0; }

free_port() { "$VENV/bin/python" - "$1" <<'PY'
import socket, sys
p = int(sys.argv[1])
for port in range(p, p + 50):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()
else:
    sys.exit(f"lab: no free port in {p}..{p + 49}")
PY
}
PORT=$(free_port "${PORT:-8888}")
TOKEN=$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))')
ARGS=(--notebook-dir="$ROOT/notebooks" --ServerApp.ip=127.0.0.1 --ServerApp.port="$PORT" --ServerApp.port_retries=0
  --IdentityProvider.token="$TOKEN")
# Containers often run as root, which Jupyter refuses without this flag (the server still binds 127.0.0.1 only).
[ "$(id -u)" = 0 ] && ARGS+=(--allow-root)
URL="http://127.0.0.1:$PORT/lab?token=$TOKEN"

# GET http://127.0.0.1:$PORT$1 with token $2 (none if empty): body on stdout; on an HTTP error "HTTP <code>" on
# stderr and status 1. Python's urllib from the venv, so the check needs no curl.
http_get() {
  "$VENV/bin/python" - "http://127.0.0.1:$PORT$1" "$2" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], headers={"Authorization": f"token {sys.argv[2]}"} if sys.argv[2] else {})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(f"HTTP {e.code}", file=sys.stderr); sys.exit(1)
PY
}

if [ "$MODE" = check ]; then
  LOGF="$ROOT/.cache/jupyterlab-check.log"
  "$VENV/bin/jupyter-lab" "${ARGS[@]}" --no-browser >"$LOGF" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    api=$(http_get "/api/kernelspecs" "$TOKEN" 2>/dev/null) && break
    kill -0 $pid 2>/dev/null || { cat "$LOGF" >&2; die "JupyterLab exited early"; }
    sleep 1
  done
  [ -n "${api:-}" ] || { tail -20 "$LOGF" >&2; die "JupyterLab did not answer on 127.0.0.1:$PORT within 120 s"; }
  echo "$api" | "$VENV/bin/python" -c 'import json,sys; s=json.load(sys.stdin)["kernelspecs"]; assert "tslab" in s, f"kernels: {sorted(s)}"; print("lab: JupyterLab answers on 127.0.0.1 and lists the kernel:", s["tslab"]["spec"]["display_name"])'
  code=$({ http_get "/api/kernelspecs" "" 2>&1 >/dev/null || true; } | sed -n 's/^HTTP \([0-9]*\)$/\1/p')
  case "$code" in 401|403) echo "lab: without the token the API answers $code" ;; *) die "without the token the API answered $code (expected 401/403)" ;; esac
  exit 0
fi

OPEN=()
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ "$(uname -s)" != Darwin ]; then OPEN=(--no-browser); fi
log "JupyterLab on 127.0.0.1 only; open (token included):"
echo "    $URL"
log "pick the kernel \"$(sed -n 's/.*"display_name": *"\([^"]*\)".*/\1/p' jupyter/kernels/tslab/kernel.json)\"; Ctrl-C stops the server"
exec "$VENV/bin/jupyter-lab" "${ARGS[@]}" "${OPEN[@]}"
