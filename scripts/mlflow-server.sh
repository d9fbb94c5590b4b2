#!/usr/bin/env bash
# A real MLflow tracking server for the integration tests (sqlite backend + artifact proxy, loopback only).
#
#   scripts/mlflow-server.sh install            create .venv and pip install mlflow (skipped when already there)
#   scripts/mlflow-server.sh start DIR [PORT]   start a server whose db/artifacts/log live in DIR; prints its URI
#                                               (a free port unless PORT is given; reuses DIR's db on restart;
#                                               MLFLOW_SERVER_STORE_DIR=D puts db/artifacts in D instead, so two
#                                               servers can share one store)
#   scripts/mlflow-server.sh stop DIR           stop the server started with DIR (kills its process group)
#   scripts/mlflow-server.sh run [--] CMD...    install, start, run CMD with MLFLOW_TEST_TRACKING_URI (and
#                                               MLFLOW_TEST_SERVER_DIR, MLFLOW_TEST_VENV) set, stop
#
# Env: MLFLOW_VERSION (pin, default below), MLFLOW_VENV (default .venv at the repo root), PYTHON (default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# 3.18.0 is listed on PyPI but its mlflow-skinny==3.18.0 dependency is not published: 3.17.2 is the newest installable.
MLFLOW_VERSION="${MLFLOW_VERSION:-3.17.2}"
VENV="${MLFLOW_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

log() { echo "mlflow-server: $*" >&2; }

install() {
  if [ -x "$VENV/bin/mlflow" ] && [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mlflow"))' 2>/dev/null)" = "$MLFLOW_VERSION" ]; then
    log "mlflow $MLFLOW_VERSION already in $VENV"
    return
  fi
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  local t0=$SECONDS
  # pip's wheel cache (~/.cache/pip) makes reinstalls fast.
  "$VENV/bin/pip" install --disable-pip-version-check --quiet "mlflow==$MLFLOW_VERSION"
  log "installed mlflow $MLFLOW_VERSION into $VENV in $((SECONDS - t0)) s"
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

healthy() {
  if command -v curl >/dev/null; then curl -fsS -m 2 -o /dev/null "$1/health" 2>/dev/null
  else "$VENV/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/health', timeout=2)" "$1" 2>/dev/null
  fi
}

start() {
  local dir="${1:?usage: start DIR [PORT]}" port="${2:-}"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [ -x "$VENV/bin/mlflow" ] || { log "no mlflow in $VENV: run '$0 install' first"; exit 1; }
  [ -n "$port" ] || port="$(free_port)"
  local uri="http://127.0.0.1:$port"
  local store="${MLFLOW_SERVER_STORE_DIR:-$dir}"
  # setsid: own session/process group, so stop can kill the workers too. Loopback only; sqlite + artifact proxy.
  setsid "$VENV/bin/mlflow" server \
    --backend-store-uri "sqlite:///$store/mlflow.db" \
    --artifacts-destination "$store/mlartifacts" --serve-artifacts \
    --host 127.0.0.1 --port "$port" --workers 1 \
    >>"$dir/server.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$dir/server.pid"
  echo "$uri" >"$dir/server.uri"
  local deadline=$((SECONDS + ${MLFLOW_START_TIMEOUT:-180}))
  until healthy "$uri"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "server exited during startup; last log lines:"; tail -n 30 "$dir/server.log" >&2; exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "no /health after ${MLFLOW_START_TIMEOUT:-180} s"; tail -n 30 "$dir/server.log" >&2; stop "$dir"; exit 1
    fi
    sleep 0.25
  done
  echo "$uri"
}

stop() {
  local dir="${1:?usage: stop DIR}"
  [ -f "$dir/server.pid" ] || return 0
  local pid; pid="$(cat "$dir/server.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$dir/server.pid"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  install) install ;;
  start) start "$@" ;;
  stop) stop "$@" ;;
  run)
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || { log "usage: run [--] CMD..."; exit 2; }
    install
    STATE="$(mktemp -d "${TMPDIR:-/tmp}/mlflow-server.XXXXXX")"
    trap 'stop "$STATE"; rm -rf "$STATE"' EXIT
    t0=$SECONDS
    URI="$(start "$STATE")"
    log "server at $URI (ready in $((SECONDS - t0)) s)"
    MLFLOW_TEST_TRACKING_URI="$URI" MLFLOW_TEST_SERVER_DIR="$STATE" MLFLOW_TEST_VENV="$VENV" "$@"
    ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 2 ;;
esac
