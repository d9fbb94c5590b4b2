#!/usr/bin/env bash
# Opt-in native backend: builds @tensorflow/tfjs-node's binding with node-gyp against the TensorFlow C
# library shipped in PyPI's tensorflow-cpu wheel (tfjs-node's own installer downloads libtensorflow
# from storage.googleapis.com, which we cannot reach). Registry packages only, pinned and hash-checked.
#
# Usage: npm run setup:native [-- --force] [-- --gpu]   (after `npm ci`; Linux x86_64; needs python3 + pip, make, g++)
# --gpu: the same build against PyPI's GPU-enabled `tensorflow` wheel plus the CUDA 12 runtime wheels of its
# `[and-cuda]` extra (cuBLAS, cuDNN 9, cuFFT, ...; ~2.4 GB of downloads, ~5 GB unpacked) into .cache/native-gpu;
# select.ts loads it as 'node-gpu'. It runs on the GPU when an NVIDIA driver (CUDA 12 or newer) sees one, else on
# the CPU (TensorFlow's GPU build falls back by itself). docs/gpu.md says what was verified where.
# Result: .cache/native/tfjs-node (git-ignored, ~720 MB) and .cache/native/srn_ops.node, our fused LayerNorm
# kernels (native/srn_ops.cc) compiled against the same wheel's headers and libtensorflow_framework. lib/backend/select.ts finds it there, so
# selectBackend() picks 'node' (tfjs backend 'tensorflow'); package.json, the lockfile and node_modules
# are not touched, and `npm ci` does not remove it. Remove with `rm -rf .cache/native`.
# It must live inside the project: tfjs-node resolves @tensorflow/tfjs upward, to the project's node_modules.
# Env: KEEP_DOWNLOADS=1 (keep the wheels in <dest>/downloads), DOWNLOADS=DIR (download into / reuse wheels already
# in DIR, the CUDA ones in DIR/cuda; kept afterwards; pip still checks the hashes), PYTHON (default python3).
set -euo pipefail

TFJS_NODE_VERSION=4.22.0
TFJS_NODE_SHA1=9883605202424e993b6c7cc4dedfd9282634567c            # npm dist.shasum
TF_VERSION=2.18.1
CPU_WHEEL_PKG=tensorflow-cpu
CPU_WHEEL=tensorflow_cpu-2.18.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
CPU_WHEEL_SHA256=810c75d7149d2da0cb2092187817b0dcabb80728ca9f9cf3a61f3f42fadd1298
GPU_WHEEL_PKG=tensorflow
GPU_WHEEL=tensorflow-2.18.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
GPU_WHEEL_SHA256=c9f87e5d2a680a4595f5dc30daf6bbaec9d4129b46d7ef1b2af63c46ac7d2828
# tensorflow==2.18.1's `and-cuda` extra (its METADATA), pinned with the sha256 of each manylinux2014_x86_64 wheel;
# pip checks them (--require-hashes). Each wheel's nvidia/<lib>/lib goes to deps/nvidia/<lib>/lib, where the RUNPATH
# of the wheel's libtensorflow_cc/_framework ($ORIGIN/../nvidia/<lib>/lib) finds it.
CUDA_WHEELS='
nvidia-cublas-cu12==12.5.3.2 --hash=sha256:ca070ad70e9fa6654084575d01bd001f30cc4665e33d4bb9fc8e0f321caa034b
nvidia-cuda-cupti-cu12==12.5.82 --hash=sha256:bde77a5feb66752ec61db2adfe47f56b941842825b4c7e2068aff27c9d107953
nvidia-cuda-nvcc-cu12==12.5.82 --hash=sha256:b03e545b8e8c3ce7ebcd7fc44063180ff52ff01d064ece2127ed90a04ef12cd0
nvidia-cuda-nvrtc-cu12==12.5.82 --hash=sha256:3dbd97b0104b4bfbc3c4f8c79cd2496307c89c43c29a9f83125f1d76296ff3fd
nvidia-cuda-runtime-cu12==12.5.82 --hash=sha256:3e79a060e126df40fd3a068f3f787eb000fa51b251ec6cd97d09579632687115
nvidia-cudnn-cu12==9.3.0.75 --hash=sha256:9ad9c6929ebb5295eb4a1728024666d1c88283373e265a0c5c883e6f9d5cd76d
nvidia-cufft-cu12==11.2.3.61 --hash=sha256:9a6e8df162585750f61983a638104a48c756aa13f9f48e19ab079b38e3c828b8
nvidia-curand-cu12==10.3.6.82 --hash=sha256:2823fb27de4e44dbb22394a6adf53aa6e1b013aca0f8c22867d1cfae58405536
nvidia-cusolver-cu12==11.6.3.83 --hash=sha256:93cfafacde4428b71778eeb092ec615a02a3d05404da1bcf91c53e3fa1bce42b
nvidia-cusparse-cu12==12.5.1.3 --hash=sha256:016df8e993c437e8301e62739f01775cba988fd5253cd4c64173f8e8d2f8e752
nvidia-nccl-cu12==2.21.5 --hash=sha256:8579076d30a8c24988834445f8d633c697d42397e92ffc3f63fa26766d25e0a0
nvidia-nvjitlink-cu12==12.5.82 --hash=sha256:f9b37bc5c8cf7509665cb6ada5aaa0ce65618f2332b7d3e78e9790511f111212
'
NODE_GYP_VERSION=12.1.0
NAPI_VERSION=8          # highest N-API version tfjs-node 4.22.0 lists (package.json binary.napi_versions)
# Runtime dependencies of tfjs-node's dist/ other than @tensorflow/* (those must resolve to the
# project's own node_modules so the 'tensorflow' backend registers with the same tfjs-core instance).
RUNTIME_DEPS='{"@mapbox/node-pre-gyp":"1.0.9","google-protobuf":"3.21.4","progress":"2.0.3"}'

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
FORCE=0
GPU=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    --gpu) GPU=1 ;;
    *) echo "setup-native: unknown argument '$a' (expected --force or --gpu)" >&2; exit 2 ;;
  esac
done
if [ "$GPU" = 1 ]; then
  DEST=$ROOT/.cache/native-gpu TF_WHEEL_PKG=$GPU_WHEEL_PKG TF_WHEEL=$GPU_WHEEL TF_WHEEL_SHA256=$GPU_WHEEL_SHA256
else
  DEST=$ROOT/.cache/native TF_WHEEL_PKG=$CPU_WHEEL_PKG TF_WHEEL=$CPU_WHEEL TF_WHEEL_SHA256=$CPU_WHEEL_SHA256
fi

die() { echo "setup-native: $*" >&2; exit 1; }
log() { echo "setup-native: $*" >&2; }

[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] || die "only Linux x86_64 is supported (the wheel is manylinux x86_64), got $(uname -s)/$(uname -m)"
for t in node npm make g++ "$PY" sha256sum sha1sum; do
  command -v "$t" >/dev/null || die "'$t' not found on PATH"
done
"$PY" -m pip --version >/dev/null 2>&1 || die "'$PY -m pip' is not available (install pip, e.g. apt-get install python3-pip)"
TFJS_VERSION=$(cd "$ROOT" && node -p "require('@tensorflow/tfjs/package.json').version" 2>/dev/null) ||
  die "@tensorflow/tfjs is not installed in $ROOT/node_modules: run 'npm ci' first"
[ "$TFJS_VERSION" = "$TFJS_NODE_VERSION" ] || die "@tensorflow/tfjs is $TFJS_VERSION but tfjs-node is pinned to $TFJS_NODE_VERSION"

# Loads the build the way select.ts does and checks matMul and a gradient on the 'tensorflow' backend.
smoke_test() {
  (cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=2 node -e '
    const tf = require(process.argv[1]);
    if (tf.getBackend() !== "tensorflow") throw new Error("backend is " + tf.getBackend());
    const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])).dataSync();
    if (String(Array.from(c)) !== "19,22,43,50") throw new Error("matMul gave " + Array.from(c));
    const g = tf.grad((x) => x.square().sum())(tf.tensor1d([1, -2])).dataSync();
    if (String(Array.from(g)) !== "2,-4") throw new Error("grad gave " + Array.from(g));
    process.dlopen({ exports: {} }, process.argv[2]);
    const be = tf.backend();
    const [y] = be.executeMultipleOutputs("SrnLayerNormRelu", [{ name: "epsilon", type: be.binding.TF_ATTR_FLOAT, value: 0 }],
      [tf.tensor2d([[1, 2, 3]]), tf.zeros([1, 3]), tf.ones([3]), tf.zeros([3])], 3);
    const yv = Array.from(y.dataSync()).map((v) => v.toFixed(4));
    if (String(yv) !== "0.0000,0.0000,1.2247") throw new Error("SrnLayerNormRelu gave " + yv);
    const dev = be.isUsingGpuDevice ? "a GPU" : "the CPU (no GPU visible to TensorFlow)";
    console.log("tfjs-node " + tf.version["tfjs-node"] + " OK on " + dev + ": backend tensorflow, matMul, grad and the fused kernels checked");
  ' "$1/tfjs-node" "$1/srn_ops.node")
}

OPS_SRC=$ROOT/native/srn_ops.cc
[ -f "$OPS_SRC" ] || die "$OPS_SRC is missing"
CUDA_STAMP=""
[ "$GPU" = 1 ] && CUDA_STAMP=" cuda=$(printf '%s' "$CUDA_WHEELS" | sha1sum | cut -c1-12)"
STAMP="tfjs-node=$TFJS_NODE_VERSION tf=$TF_WHEEL_PKG-$TF_VERSION$CUDA_STAMP napi=$NAPI_VERSION node-abi=$(node -p process.versions.modules) srn_ops=$(sha1sum "$OPS_SRC" | cut -c1-12)"
if [ "$FORCE" = 0 ] && [ -f "$DEST/BUILD-STAMP" ] && [ "$(cat "$DEST/BUILD-STAMP")" = "$STAMP" ]; then
  if smoke_test "$DEST"; then log "already built in $DEST (use --force to rebuild)"; exit 0; fi
  log "existing build in $DEST fails its smoke test; rebuilding"
fi

# Build next to the destination and move it into place at the end, so a failed run never looks installed.
WORK="$DEST.partial"
rm -rf "$WORK"
DL=${DOWNLOADS:-$WORK/downloads}
mkdir -p "$WORK" "$DL"
DL=$(cd "$DL" && pwd)

log "downloading @tensorflow/tfjs-node@$TFJS_NODE_VERSION (npm)"
(cd "$DL" && npm pack --silent "@tensorflow/tfjs-node@$TFJS_NODE_VERSION" >/dev/null)
TGZ="$DL/tensorflow-tfjs-node-$TFJS_NODE_VERSION.tgz"
[ "$(sha1sum "$TGZ" | cut -d' ' -f1)" = "$TFJS_NODE_SHA1" ] || die "sha1 mismatch for $TGZ"

log "downloading $TF_WHEEL_PKG==$TF_VERSION (PyPI, $([ "$GPU" = 1 ] && echo '~620' || echo '~230') MB)"
"$PY" -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
  --python-version 3.11 --implementation cp --abi cp311 -d "$DL" "$TF_WHEEL_PKG==$TF_VERSION"
[ -f "$DL/$TF_WHEEL" ] || die "pip did not produce $TF_WHEEL (got: $(ls "$DL"))"
[ "$(sha256sum "$DL/$TF_WHEEL" | cut -d' ' -f1)" = "$TF_WHEEL_SHA256" ] || die "sha256 mismatch for $TF_WHEEL"

if [ "$GPU" = 1 ]; then
  log "downloading the CUDA 12 runtime wheels of tensorflow[and-cuda] (PyPI, ~1.8 GB, hash-checked)"
  printf '%s\n' "$CUDA_WHEELS" | sed '/^$/d' > "$DL/cuda-requirements.txt"
  "$PY" -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
    --python-version 3.11 --implementation cp --abi cp311 --require-hashes -r "$DL/cuda-requirements.txt" -d "$DL/cuda"
fi

log "unpacking"
PKG="$WORK/tfjs-node"
mkdir -p "$PKG"
tar xzf "$TGZ" -C "$PKG" --strip-components=1
# From the wheel: the C API library (libtensorflow_cc.so.2 exports all TF_*/TFE_* symbols the binding
# uses and, unlike _pywrap_tensorflow_internal.so, needs no libpython), its framework library, and the
# headers c_api.h / eager/c_api.h pull in.
# The whole include tree (Eigen, absl, framework headers) goes to downloads/ for compiling srn_ops.cc only.
"$PY" - "$DL/$TF_WHEEL" "$PKG/deps" "$DL/tf-include" <<'PY'
import os, shutil, sys, zipfile
whl, deps, full_inc = sys.argv[1], sys.argv[2], sys.argv[3]
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
inc = 'tensorflow/include/'
headers = tuple(inc + p for p in ('tensorflow/c/', 'tensorflow/core/platform/', 'tsl/', 'xla/tsl/'))
n = 0
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.startswith(inc) and not name.endswith('/'):
            out = os.path.join(full_inc, name[len(inc):])
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(name) as src, open(out, 'wb') as dst:
                shutil.copyfileobj(src, dst)
        if name in libs:
            out = os.path.join(deps, 'lib', os.path.basename(name))
        elif name.startswith(headers) and not name.endswith('/'):
            out = os.path.join(deps, 'include', name[len(inc):])
        else:
            continue
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(name) as src, open(out, 'wb') as dst:
            shutil.copyfileobj(src, dst)
        n += 1
missing = [l for l in libs if not os.path.exists(os.path.join(deps, 'lib', os.path.basename(l)))]
if missing:
    sys.exit(f'setup-native: {whl} lacks {missing}')
print(f'setup-native: extracted {n} files', file=sys.stderr)
PY
if [ "$GPU" = 1 ]; then
  "$PY" - "$PKG/deps" "$DL"/cuda/*.whl <<'PY'
import os, shutil, sys, zipfile
deps, wheels = sys.argv[1], sys.argv[2:]
n = 0
for whl in wheels:
    with zipfile.ZipFile(whl) as z:
        for name in z.namelist():
            parts = name.split('/')
            # nvidia/<lib>/lib/*.so* (and ptxas & co in nvidia/cuda_nvcc/bin); headers and Python files are not needed.
            if len(parts) < 4 or parts[0] != 'nvidia' or parts[2] not in ('lib', 'bin') or name.endswith('/'):
                continue
            out = os.path.join(deps, name)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with z.open(name) as src, open(out, 'wb') as dst:
                shutil.copyfileobj(src, dst)
            if parts[2] == 'bin':
                os.chmod(out, 0o755)
            n += 1
if not os.path.exists(os.path.join(deps, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9')):
    sys.exit('setup-native: the CUDA wheels lack nvidia/cudnn/lib/libcudnn.so.9')
print(f'setup-native: extracted {n} CUDA runtime files', file=sys.stderr)
PY
fi
# binding.gyp links -ltensorflow -ltensorflow_framework from deps/lib with rpath $ORIGIN/../../deps/lib;
# the link records the sonames (libtensorflow_cc.so.2, libtensorflow_framework.so.2), found there at load.
ln -s libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"

log "installing tfjs-node's runtime dependencies (npm): $RUNTIME_DEPS"
printf '{"name":"semantic-srn-native","private":true,"description":"built by scripts/setup-native.sh","dependencies":%s}\n' \
  "$RUNTIME_DEPS" > "$WORK/package.json"
(cd "$WORK" && npm install --silent --ignore-scripts --no-audit --no-fund --omit=dev)

log "building the binding with node-gyp@$NODE_GYP_VERSION"
GYP_ARGS=(rebuild --napi_build_version="$NAPI_VERSION" --module_name=tfjs_binding
  --module_path="$PKG/lib/napi-v$NAPI_VERSION" --jobs=max)
# Use the running node's own headers when present (no nodejs.org download); node-gyp fetches them otherwise.
NODE_PREFIX=$(node -p 'require("path").resolve(process.execPath, "../..")')
[ -f "$NODE_PREFIX/include/node/node_api.h" ] && GYP_ARGS+=(--nodedir="$NODE_PREFIX")
(cd "$PKG" && npm exec --yes --package="node-gyp@$NODE_GYP_VERSION" -- node-gyp "${GYP_ARGS[@]}" >"$WORK/node-gyp.log" 2>&1) ||
  { tail -30 "$WORK/node-gyp.log" >&2; die "node-gyp failed, full log: $WORK/node-gyp.log"; }
# tfjs-node looks the addon up with node-pre-gyp; check it lands where that looks.
EXPECTED=$(cd "$PKG" && node -e 'console.log(require(process.argv[1]).find(process.argv[2]))' \
  "$WORK/node_modules/@mapbox/node-pre-gyp" "$PKG/package.json")
[ -f "$EXPECTED" ] || die "built addon is not where node-pre-gyp looks ($EXPECTED)"
rm -rf "$PKG/build"
mv "$WORK/node-gyp.log" "$PKG/node-gyp.log"

# Our kernels: TF's custom-op flags (tf.sysconfig: C++17, the new libstdc++ ABI, Eigen's alignment), linked
# against the wheel's framework library found through the rpath; -march=native because it is built where it runs.
log "compiling native/srn_ops.cc (fused LayerNorm kernels)"
NODE_INC=""
for d in "$NODE_PREFIX/include/node" "$HOME/.cache/node-gyp/$(node -p process.versions.node)/include/node"; do
  [ -f "$d/node_api.h" ] && { NODE_INC=$d; break; }
done
[ -n "$NODE_INC" ] || die "node_api.h not found (looked in $NODE_PREFIX/include/node and node-gyp's cache)"
g++ -std=c++17 -shared -fPIC -O3 -march=native -fopenmp-simd -D_GLIBCXX_USE_CXX11_ABI=1 -DEIGEN_MAX_ALIGN_BYTES=64 \
  -isystem "$DL/tf-include" -isystem "$NODE_INC" "$OPS_SRC" -o "$WORK/srn_ops.node" \
  -L"$PKG/deps/lib" -l:libtensorflow_framework.so.2 -Wl,-rpath,'$ORIGIN/tfjs-node/deps/lib' 2>"$WORK/srn_ops.log" ||
  { tail -30 "$WORK/srn_ops.log" >&2; die "compiling $OPS_SRC failed, full log: $WORK/srn_ops.log"; }

smoke_test "$WORK" || die "the fresh build fails its smoke test (left in $WORK)"
[ "${KEEP_DOWNLOADS:-0}" = 1 ] || [ -n "${DOWNLOADS:-}" ] || rm -rf "$DL"
rm -rf "$DL/tf-include"
echo "$STAMP" > "$WORK/BUILD-STAMP"
rm -rf "$DEST"
mv "$WORK" "$DEST"
if [ "$GPU" = 1 ]; then
  log "done: $DEST/tfjs-node (selectBackend() picks 'node-gpu' where an NVIDIA driver is present; SRN_BACKEND=node-gpu forces it)"
else
  log "done: $DEST/tfjs-node (selectBackend() now picks 'node'; SRN_BACKEND=wasm to opt out)"
fi
