#!/usr/bin/env bash
# The GPU check on a machine with no internet and at most 64 MiB carried in (docs/gpu.md):
#   bash bench/gpu-check.sh pack          here (after npm ci): builds .gpu-pack/ (~31 MB): bench/gpu-check.ts bundled
#                                          with esbuild (tfjs, lib, tfjs-backend-webgpu and -wasm in one file), the wasm
#                                          binaries, Dawn's dawn.node (xz), this Node binary (xz), Debian's Vulkan loader
#                                          and GLVND EGL/GLES (Dawn's OpenGL ES fallback through the driver's EGL).
#   bash bench/gpu-check.sh run [ARGS]    there, from the repo root with .gpu-pack carried: unpacks, installs the
#                                          Vulkan loader, runs the check (webgpu on the GPU beside wasm on the CPU by
#                                          default; ARGS go to gpu-check.ts) and copies the JSON to $OUT (or .gpu-pack/).
#   bash bench/gpu-check.sh size          here: MiB that a device call would send (tracked + untracked-not-ignored
#                                          files + the carried .gpu-pack), against the tool's 64 MiB.
#   bash bench/gpu-check.sh slim          here, right before the device call: untracks (git rm --cached, files kept)
#                                          and ignores the folders the check never reads (pretrained/ 117 MB of shipped
#                                          weights, docs/results/), so that the tree travels under 64 MiB.
#   bash bench/gpu-check.sh unslim        here, right after it: puts them back in the index from HEAD. Never commit
#                                          while slimmed: the commit would delete them (slim refuses to run twice).
# The CUDA route (setup:native --gpu) does not fit: its libtensorflow_cc alone is 1.1 GB (docs/gpu.md).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACK=$ROOT/.gpu-pack
die() { echo "gpu-check: $*" >&2; exit 1; }
log() { echo "gpu-check: $*" >&2; }

unxz_to() { # file.xz dest: xz where present, else Python's lzma
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}

pack() {
  [ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "pack on Linux x86_64 (the device machine is x86-64), got $(uname -s)/$(uname -m)"
  [ -d "$ROOT/node_modules/webgpu" ] || die "run 'npm ci' first"
  rm -rf "$PACK" && mkdir -p "$PACK/node_modules/webgpu/dist/linux-x64" "$PACK/debs"
  log "bundling bench/gpu-check.ts (esbuild)"
  "$ROOT/node_modules/.bin/esbuild" "$ROOT/bench/gpu-check.ts" --bundle --platform=node --target=node20 --format=cjs \
    --external:webgpu --minify --log-level=error --outfile="$PACK/gpu-check.cjs"
  # The wasm backend loads its binaries from the bundle's folder (its __dirname).
  cp "$ROOT"/node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$PACK/"
  cp "$ROOT/node_modules/webgpu/package.json" "$ROOT/node_modules/webgpu/index.js" "$PACK/node_modules/webgpu/"
  xz -T0 -6 -c "$ROOT/node_modules/webgpu/dist/linux-x64/dawn.node" > "$PACK/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
  log "compressing $(command -v node) ($(node --version))"
  xz -T0 -6 -c "$(command -v node)" > "$PACK/node.xz"
  node --version > "$PACK/NODE_VERSION"
  log "downloading Debian's Vulkan loader and GLVND EGL/GLES (libvulkan1 libegl1 libglvnd0 libgles2)"
  (cd "$PACK/debs" && apt-get download libvulkan1 libegl1 libglvnd0 libgles2 >/dev/null 2>&1) ||
    die "apt-get download libvulkan1 libegl1 libglvnd0 libgles2 failed (apt-get update first)"
  # Keeps the pack out of git: the device tool carries it by name.
  grep -qx '/.gpu-pack/' "$ROOT/.git/info/exclude" 2>/dev/null || echo '/.gpu-pack/' >> "$(git -C "$ROOT" rev-parse --git-path info/exclude)"
  log "packed $(du -sh "$PACK" | cut -f1) in $PACK"
}

run() {
  [ -f "$PACK/gpu-check.cjs" ] || die "$PACK/gpu-check.cjs is missing: run 'bash bench/gpu-check.sh pack' where npm works and carry .gpu-pack"
  local work=/tmp/srn-gpu-check
  mkdir -p "$work/node_modules/webgpu/dist/linux-x64"
  cp "$PACK/gpu-check.cjs" "$PACK"/*.wasm "$work/"
  cp "$PACK/node_modules/webgpu/package.json" "$PACK/node_modules/webgpu/index.js" "$work/node_modules/webgpu/"
  unxz_to "$PACK/node_modules/webgpu/dist/linux-x64/dawn.node.xz" "$work/node_modules/webgpu/dist/linux-x64/dawn.node"
  unxz_to "$PACK/node.xz" "$work/node" && chmod +x "$work/node"
  local have; have=$(ldconfig -p 2>/dev/null || true)
  if ! grep -q 'libvulkan\.so\.1' <<<"$have" || ! grep -q 'libEGL\.so\.1' <<<"$have"; then
    for f in "$PACK"/debs/*.deb; do dpkg -x "$f" /; done
    ldconfig || true
  fi
  # The NVIDIA driver's Vulkan ICD where the loader's default folders lack it (device README).
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -f "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ] && ! ls /usr/share/vulkan/icd.d/nvidia* >/dev/null 2>&1; then export VK_DRIVER_FILES=$icd; fi
  local egl=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  if [ -f "$egl" ] && [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ]; then export __EGL_VENDOR_LIBRARY_FILENAMES=$egl; fi
  local out=${OUT:-$PACK}
  log "node $("$work/node" --version); nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo none)"
  (cd "$work" && ./node gpu-check.cjs --out "$out/gpu-check.json" "$@") 2> >(tee "$out/gpu-check.log" >&2)
}

# The device tool sends the checkout's tracked and untracked-not-ignored files and the carried paths, 64 MiB at most.
LIMIT_MIB=64
SLIM_DIRS=(pretrained docs/results)
SLIM_MARK='# bench/gpu-check.sh slim: untracked for a device call (unslim restores)'
exclude_file() { git -C "$ROOT" rev-parse --path-format=absolute --git-path info/exclude; }
hooks_dir() { git -C "$ROOT" rev-parse --path-format=absolute --git-path hooks; }
GUARD_MARK='# bench/gpu-check.sh slim guard'

# While slimmed, a commit would delete pretrained/ and docs/results/ from the repository: a pre-commit hook refuses
# it (a hook already there is set aside and put back by unslim).
guard_commits() {
  local h; h=$(hooks_dir); mkdir -p "$h"
  [ -e "$h/pre-commit" ] && mv "$h/pre-commit" "$h/pre-commit.before-gpu-slim"
  printf '#!/bin/sh\n%s\necho "refused: bench/gpu-check.sh slim untracked %s, so this commit would delete them; run bash bench/gpu-check.sh unslim first" >&2\nexit 1\n' \
    "$GUARD_MARK" "${SLIM_DIRS[*]}" > "$h/pre-commit"
  chmod +x "$h/pre-commit"
}

unguard_commits() {
  local h; h=$(hooks_dir)
  grep -qxF "$GUARD_MARK" "$h/pre-commit" 2>/dev/null && rm -f "$h/pre-commit"
  [ -e "$h/pre-commit.before-gpu-slim" ] && mv "$h/pre-commit.before-gpu-slim" "$h/pre-commit"
  return 0
}

travelling_bytes() {
  { git -C "$ROOT" ls-files -z --cached; git -C "$ROOT" ls-files -z --others --exclude-standard; } |
    (cd "$ROOT" && xargs -0 -r stat -c %s -- 2>/dev/null) | awk '{s += $1} END {print s + 0}'
}

size() {
  local tree pack=0 total
  tree=$(travelling_bytes)
  [ -d "$PACK" ] && pack=$(du -sb "$PACK" | cut -f1)
  total=$((tree + pack))
  awk -v t="$tree" -v p="$pack" -v s="$total" -v l="$LIMIT_MIB" 'BEGIN {
    printf "gpu-check: the tree sends %.1f MiB, .gpu-pack %.1f MiB: %.1f MiB of %d MiB (%s)\n", t / 2^20, p / 2^20, s / 2^20, l, (s <= l * 2^20 ? "fits" : "too large: bash bench/gpu-check.sh slim")
  }' >&2
  [ "$total" -le $((LIMIT_MIB * 1048576)) ]
}

slim() {
  local ex; ex=$(exclude_file)
  grep -qxF "$SLIM_MARK" "$ex" 2>/dev/null && die "already slimmed: run 'bash bench/gpu-check.sh unslim' first"
  git -C "$ROOT" diff --quiet HEAD -- "${SLIM_DIRS[@]}" ||
    die "${SLIM_DIRS[*]} differ from HEAD (commit or restore them first): unslim restores them from HEAD"
  git -C "$ROOT" rm -r -q --cached -- "${SLIM_DIRS[@]}"
  { echo "$SLIM_MARK"; for d in "${SLIM_DIRS[@]}"; do echo "/$d/"; done; } >> "$ex"
  guard_commits
  log "untracked and ignored ${SLIM_DIRS[*]} (files kept; commits refused until then); 'bash bench/gpu-check.sh unslim' after the device call"
  size || die "still over ${LIMIT_MIB} MiB after slimming"
}

unslim() {
  local ex; ex=$(exclude_file)
  grep -qxF "$SLIM_MARK" "$ex" 2>/dev/null || die "not slimmed (no mark in $ex)"
  git -C "$ROOT" reset -q HEAD -- "${SLIM_DIRS[@]}"
  # Drops the mark and the lines slim wrote after it.
  awk -v m="$SLIM_MARK" -v n="${#SLIM_DIRS[@]}" '$0 == m {skip = n; next} skip > 0 {skip--; next} {print}' "$ex" > "$ex.tmp" && mv "$ex.tmp" "$ex"
  unguard_commits
  [ -z "$(git -C "$ROOT" status --porcelain -- "${SLIM_DIRS[@]}")" ] || die "${SLIM_DIRS[*]} still differ from HEAD: check git status"
  log "restored ${SLIM_DIRS[*]} to the index"
}

case "${1:-}" in
  pack) pack ;;
  run) shift; run "$@" ;;
  size) size ;;
  slim) slim ;;
  unslim) unslim ;;
  *) die "usage: bash bench/gpu-check.sh pack | run [gpu-check.ts arguments] | size | slim | unslim" ;;
esac
