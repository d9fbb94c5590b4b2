#!/usr/bin/env bash
# The reruns after the reflection-padding gradient fix (4a5cf52; docs/results/README.md, notice) as two queues that
# share nothing but the runs folder, one per core: `bash scripts/reruns-after-fix.sh a|b RUNS [--plan]`.
# Table 1 comes first in both, so that it is whole after about 10 h rather than after both sweeps:
#   a: tables: Table 1 columns 3 and 6 (2-D U-Nets), columns 4-5 (the semantic SRN trains 10,000 steps first, about
#      5 h), the rendered-RGB U-Net and the mask's U-Net head, then the sweep's U-Net records;
#   b: chairs: the same from columns 4-5 on (columns 3 and 6 are done), then the sweep's U-Net records.
# Every command runs only what is missing or stale and goes on from checkpoints and journals, so after a stop (or on
# a new machine, after `npx tsx scripts/restore-runs.ts --runs RUNS`) the same line goes on. The log is
# RUNS/reruns-<lane>.log: each command with its commit, start, end, exit status and load.
set -uo pipefail
lane=${1:-}; runs=${2:-}; plan=${3:-}
if [[ ! $lane =~ ^[ab]$ || -z $runs ]]; then
  echo "usage: bash scripts/reruns-after-fix.sh a|b RUNS [--plan]" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
x="node bin/semantic-srn.mjs experiment"
common="--scale cpu64 --out $runs --tracking-uri $runs/mlruns"
if [[ $lane == a ]]; then
  cls=table
  queue=("$x table-1 --class $cls --seeds 0,1,2 --columns 3,6 $common")
else
  cls=chair
  queue=()
fi
queue+=(
  "$x table-1 --class $cls --seeds 0,1,2 --columns 4,5 $common"
  "$x unet-baselines --class $cls --seeds 0 $common"
  "$x mask-reconstruction --class $cls $common"
  "$x label-count-sweep --class $cls $common"
)
if [[ $plan == --plan ]]; then
  printf '%s\n' "${queue[@]}"
  exit 0
fi
mkdir -p "$runs"
log="$runs/reruns-$lane.log"
for cmd in "${queue[@]}"; do
  {
    echo "== $cmd"
    echo "commit $(git rev-parse --short HEAD), start $(date -u +%FT%TZ), $(uptime)"
  } >>"$log"
  start=$(date +%s)
  # One TF thread a queue: two queues share the 2 cores (docs/native-backend.md, "Threads").
  SRN_NATIVE_THREADS=1 $cmd >>"$log" 2>&1
  rc=$?
  echo "rc $rc in $(($(date +%s) - start)) s, end $(date -u +%FT%TZ), $(uptime)" >>"$log"
  if ((rc != 0)); then
    echo "stopped: the command above exited $rc; rerun this queue once fixed (it goes on from there)" >>"$log"
    exit "$rc"
  fi
done
echo "queue $lane done $(date -u +%FT%TZ)" >>"$log"
