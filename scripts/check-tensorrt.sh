#!/usr/bin/env bash
# Compile-check the TensorRT sources of the native addon against a TensorRT
# include directory, without a GPU or TensorRT libraries:
#   scripts/check-tensorrt.sh HEADERS_DIR [CUDA_INCLUDE_DIR]
# HEADERS_DIR holds NvInfer.h (TensorRT's include/); NvOnnxParser.h must be there
# too or in ONNX_PARSER_INCLUDE_DIR (before TensorRT 10.14 it lives in the
# onnx/onnx-tensorrt repository). CUDA_INCLUDE_DIR defaults to the one nvcc reports.
# Flags match what node-gyp passes for binding.gyp's two targets (common.gypi's
# -std=gnu++17 comes last there, so it is the effective standard):
#  - native/src/trt/*.cc (static library gloves_tensorrt): -fexceptions, TensorRT
#    and CUDA include dirs (parser headers before 10.14 use try/catch inline;
#    native/src/trt/guard.h stops every exception at the N-API boundary);
#  - native/src/addon.cc (the addon, with the pixel kernels): -fno-exceptions and
#    no TensorRT/CUDA include dirs, with HAVE_TENSORRT defined.
# Prints the TensorRT version found, one line per source and PASS/FAIL; exit 0 only on PASS.
set -euo pipefail
cd "$(dirname "$0")/.."

HEADERS=${1:?usage: scripts/check-tensorrt.sh HEADERS_DIR [CUDA_INCLUDE_DIR]}
CUDA_INC=${2:-}
[ -f "$HEADERS/NvInfer.h" ] || { echo "no NvInfer.h in $HEADERS" >&2; exit 2; }
PARSER_DIR=${ONNX_PARSER_INCLUDE_DIR:-$HEADERS}
[ -f "$PARSER_DIR/NvOnnxParser.h" ] || { echo "no NvOnnxParser.h in $PARSER_DIR (set ONNX_PARSER_INCLUDE_DIR)" >&2; exit 2; }
if [ -z "$CUDA_INC" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  : > "$tmp/x.cu"
  CUDA_INC=$(cd "$tmp" && nvcc --dryrun -c x.cu 2>&1 | sed -n 's/.*INCLUDES="\(.*\)".*/\1/p' | head -1 | tr ' ' '\n' | sed -n 's/^"\{0,1\}-I"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' | head -1)
fi
[ -f "$CUDA_INC/cuda_runtime_api.h" ] || { echo "no cuda_runtime_api.h in '$CUDA_INC' (pass CUDA_INCLUDE_DIR)" >&2; exit 2; }

NAPI_INC=$(node -p "require('node-addon-api').include_dir")
NODE_INC=""
for d in "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node "$HOME/.cache/node-gyp/$(node -p process.versions.node)/include/node"; do
  [ -f "$d/node_api.h" ] && { NODE_INC=$d; break; }
done
[ -n "$NODE_INC" ] || { echo "no Node headers (node_api.h) found" >&2; exit 2; }

version=$(sed -n 's/^#define \(NV_TENSORRT_\|TRT_\)\(MAJOR\|MINOR\|PATCH\)\(_ENTERPRISE\)\{0,1\} \([0-9][0-9]*\).*/\2=\4/p' "$HEADERS/NvInferVersion.h" | sort -u | tr '\n' ' ')
echo "TensorRT headers: $HEADERS ($version)"
echo "ONNX parser header: $PARSER_DIR/NvOnnxParser.h"
echo "CUDA headers: $CUDA_INC"

COMMON=(-std=c++17 -ffp-contract=off -Wall -Wextra -Wno-unused-parameter -std=gnu++17
        -DNAPI_VERSION=8 -DNODE_ADDON_API_DISABLE_CPP_EXCEPTIONS -DHAVE_TENSORRT=1
        -I"$NAPI_INC" -Inative/src -I"$NODE_INC")
TRT_FLAGS=(-fexceptions -Wno-deprecated-declarations -I"$HEADERS" -I"$PARSER_DIR" -I"$CUDA_INC")
ADDON_FLAGS=(-fno-exceptions)

status=0
check() {  # check SOURCE FLAGS...
  local src=$1 out warn
  shift
  if out=$(g++ -fsyntax-only "${COMMON[@]}" "$@" "$src" 2>&1); then
    warn=$(printf '%s' "$out" | grep -c 'warning:' || true)
    if [ "$warn" -gt 0 ]; then echo "ok   $src ($warn warnings)"; printf '%s\n' "$out" | grep 'warning:' | head -5; else echo "ok   $src"; fi
  else
    echo "FAIL $src"
    printf '%s\n' "$out" | grep -E 'error' | head -20
    status=1
  fi
}
check native/src/addon.cc "${ADDON_FLAGS[@]}"
for src in native/src/trt/*.cc; do check "$src" "${TRT_FLAGS[@]}"; done

# Rules the compiler cannot see (review findings that must not come back):
#  - one TensorRT logger per process (logger.h Logger()); a TrtLogger object or a
#    `new TrtLogger` anywhere else hands TensorRT a pointer that dies with it;
#  - a calibrator for every algorithm the policy lets through (daemon/src/inference/tensorrt/policy.ts).
rule() {  # rule DESCRIPTION COMMAND...: the command must print nothing
  local what=$1 hits
  shift
  hits=$("$@" || true)
  if [ -n "$hits" ]; then echo "FAIL rule: $what"; printf '%s\n' "$hits" | head -5; status=1; else echo "ok   rule: $what"; fi
}
rule "TensorRT gets only the process logger" \
  grep -nE '(^|[^:])\bTrtLogger[[:space:]]+[A-Za-z_]+[[:space:]]*[;({]|createInfer(Builder|Runtime)\([^L)]|createParser\([^,]*,[[:space:]]*[^L ]' native/src/trt --include=*.cc --include=*.h -r
for algo in EntropyCalibration2 EntropyCalibration MinMaxCalibration; do
  rule "calibrator for $algo" sh -c "grep -q '\"$algo\"' native/src/trt/trt_napi.cc || echo missing"
done
[ $status = 0 ] && echo PASS || echo FAIL
exit $status
