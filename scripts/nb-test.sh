#!/usr/bin/env bash
# Executes every notebook headless in small-config mode and exports HTML; fails on any cell error,
# unhandled async error, stale .ipynb (vs notebooks/src/*.ts), committed outputs or type error.
#
#   bash scripts/nb-test.sh            # all notebooks/*.ipynb
#   bash scripts/nb-test.sh 99 04      # only notebooks whose name contains one of these
#   NB_SCREENSHOT=1 bash scripts/nb-test.sh   # also PNG screenshots of the HTML (needs chromium)
#   SRN_NOTEBOOK_SMALL=0 NB_TIMEOUT=14400 NB_OUT=out/notebooks-cpu bash scripts/nb-test.sh 01   # cpu scale
#
# Executed copies, HTML exports, screenshots and the notebooks' own artifacts go to out/notebooks/
# (git-ignored). Needs: npm ci, and the Debian packages of scripts/setup-notebooks.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/node_modules/.bin:$PATH" JUPYTER_PATH="$ROOT/jupyter"
export SRN_NOTEBOOK_SMALL="${SRN_NOTEBOOK_SMALL:-1}"
PY=/usr/bin/python3   # Debian's python: it has nbclient (a pyenv/venv python3 usually does not)
OUT="${NB_OUT:-out/notebooks}"   # NB_OUT=out/notebooks-cpu keeps cpu-scale runs apart from CI's small ones
TIMEOUT="${NB_TIMEOUT:-900}"

missing=()
"$PY" -c 'import nbclient, nbformat' 2>/dev/null || missing+=("python3-nbclient")
command -v jupyter-nbconvert >/dev/null || missing+=("jupyter-nbconvert")
[ -x node_modules/.bin/tslab ] || missing+=("node_modules/.bin/tslab (npm ci)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "nb-test: missing ${missing[*]} — run: bash scripts/setup-notebooks.sh" >&2
  exit 2
fi
mkdir -p "$OUT"
# The notebooks import the prebuilt library (notebooks/lib → ../.cache/lib-dist): build it if lib/ changed.
node scripts/build-lib.mjs || { echo "nb-test: npm run build:lib failed; the notebooks import its output" >&2; exit 1; }
pass=0; fail=0; failed=()
t_all=$(date +%s)

# 1. Committed notebooks are generated from notebooks/src and carry no outputs.
shopt -s nullglob
srcs=(notebooks/src/*.ts)
if [ ${#srcs[@]} -gt 0 ] && ! "$PY" tools/ts-to-ipynb.py --check "${srcs[@]}"; then
  fail=$((fail + 1)); failed+=("stale .ipynb (regenerate with tools/ts-to-ipynb.py)")
fi
if ! "$PY" - notebooks/*.ipynb <<'PY'
import json, sys
bad = [p for p in sys.argv[1:] for c in json.load(open(p))["cells"]
       if c.get("outputs") or c.get("execution_count") is not None]
for p in sorted(set(bad)):
    print("nb-test: %s has outputs; strip them: jupyter nbconvert --clear-output --inplace %s" % (p, p), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
then fail=$((fail + 1)); failed+=("committed outputs"); fi

# 2. Type-check the notebook sources (strict, like the library).
if [ ${#srcs[@]} -gt 0 ]; then
  t0=$(date +%s)
  if node node_modules/typescript/bin/tsc -p notebooks; then
    echo "typecheck notebooks/src: ok ($(( $(date +%s) - t0 )) s)"
  else
    fail=$((fail + 1)); failed+=("tsc -p notebooks")
  fi
fi

# 3. Execute, export HTML (plotly.js is inlined by the notebooks' own output: no CDN), screenshot.
for nb in notebooks/*.ipynb; do
  name=$(basename "$nb" .ipynb)
  if [ $# -gt 0 ]; then
    keep=0; for f in "$@"; do [[ "$name" == *"$f"* ]] && keep=1; done
    [ $keep -eq 1 ] || continue
  fi
  t0=$(date +%s)
  if "$PY" tools/run-notebook.py "$nb" -o "$OUT/$name.ipynb" --timeout "$TIMEOUT" --strict; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); failed+=("$name")
  fi
  # Export the partial notebook too: it shows where a failing run stopped.
  jupyter nbconvert --to html "$OUT/$name.ipynb" --output-dir "$OUT" --log-level=ERROR 2>/dev/null \
    || echo "nb-test: HTML export of $name failed" >&2
  if [ "${NB_SCREENSHOT:-0}" = 1 ] && command -v chromium >/dev/null; then
    UD=$(mktemp -d)
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$UD" \
      --hide-scrollbars --virtual-time-budget=15000 --window-size=1100,"${NB_SCREENSHOT_HEIGHT:-9000}" \
      --screenshot="$ROOT/$OUT/$name.png" "file://$ROOT/$OUT/$name.html" >/dev/null 2>&1 \
      || echo "nb-test: screenshot of $name failed" >&2
    rm -rf "$UD"
  fi
  echo "  $name: $(( $(date +%s) - t0 )) s (run + export) → $OUT/$name.html"
  # Notebook 04 again with RUN_MISSING=false: it must draw the sweep it just ran without running anything (the
  # path a researcher takes to look at a CLI sweep in progress).
  if [ "$name" = 04-label-count-sweep ] && [ "$SRN_NOTEBOOK_SMALL" = 1 ]; then
    t0=$(date +%s)
    if "$PY" tools/run-notebook.py "$nb" -o "$OUT/$name-read.ipynb" --timeout "$TIMEOUT" --strict -p RUN_MISSING=false \
      && "$PY" - "$OUT/$name-read.ipynb" <<'PY'
import json, re, sys
outs = [o for c in json.load(open(sys.argv[1]))["cells"] for o in c.get("outputs", [])]
text = "".join("".join(o.get("text", "")) for o in outs)
m = re.search(r"finished sweep: (\d+) record\(s\) read", text)
charts = sum("application/vnd.vegalite.v5+json" in o.get("data", {}) for o in outs)
ok = bool(m) and int(m.group(1)) > 0 and charts == 1 and "probes scored" not in text
print("nb-test: 04 with RUN_MISSING=false %s (%s record(s), %d chart(s))" % ("ok" if ok else "FAILED", m.group(1) if m else "no", charts))
sys.exit(0 if ok else 1)
PY
    then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$name (RUN_MISSING=false)"); fi
    echo "  $name, reading its sweep: $(( $(date +%s) - t0 )) s"
  fi
done

echo "notebooks: $pass passed, $fail failed ($(( $(date +%s) - t_all )) s)"
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
[ "$fail" -eq 0 ]
