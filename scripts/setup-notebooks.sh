#!/usr/bin/env bash
# Installs what headless notebook runs need (idempotent; Debian 12, run as root or with sudo):
#   Debian: jupyter-nbconvert python3-nbclient jupyter-client   (+ chromium with --with-chromium)
#   npm:    the project's node_modules (tslab, vega, plotly … are package.json dependencies)
# No global npm installs and no `tslab install`: the kernelspec is committed in jupyter/kernels/tslab
# and found through JUPYTER_PATH (see docs/notebooks.md). For JupyterLab use a venv (docs/notebooks.md).
#
#   bash scripts/setup-notebooks.sh [--with-chromium] [--skip-npm]
set -euo pipefail
cd "$(dirname "$0")/.."
with_chromium=0; skip_npm=0
for a in "$@"; do
  case "$a" in
    --with-chromium) with_chromium=1 ;;
    --skip-npm) skip_npm=1 ;;
    *) echo "setup-notebooks: unknown option $a" >&2; exit 2 ;;
  esac
done

pkgs=(jupyter-nbconvert python3-nbclient jupyter-client)
[ $with_chromium -eq 1 ] && pkgs+=(chromium)
need=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "== apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  echo "== Debian packages present: ${pkgs[*]}"
fi

if [ $skip_npm -eq 0 ]; then
  if [ -x node_modules/.bin/tslab ] && [ -d node_modules/vega-lite ]; then
    echo "== node_modules present (run npm ci yourself to refresh)"
  else
    echo "== npm ci"
    npm ci --no-audit --no-fund
  fi
fi

export JUPYTER_PATH="$PWD/jupyter" PATH="$PWD/node_modules/.bin:$PATH"
/usr/bin/python3 -c 'import nbclient, nbformat; print("nbclient", nbclient.__version__, "nbformat", nbformat.__version__)'
jupyter kernelspec list 2>/dev/null | grep -q "tslab.*$PWD/jupyter/kernels/tslab" \
  && echo "== kernel: tslab from $PWD/jupyter/kernels/tslab" \
  || { echo "setup-notebooks: the project kernelspec is not visible to jupyter" >&2; exit 1; }
echo "ok — run the notebooks with: bash scripts/nb-test.sh"
