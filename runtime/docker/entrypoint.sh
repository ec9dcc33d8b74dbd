#!/usr/bin/env bash
# Entrypoint of the VIBE GPU worker image. Starts the worker only when it can do its work: a GPU
# is visible, onnxruntime-node's CUDA provider is installed, and a model bundle is reachable.
# Otherwise it exits with 78 (EX_CONFIG) and one line that says what is missing and how to fix it,
# instead of letting the worker fail deep inside session creation.
#
# Environment: VIBE_MODEL_S3_URI (s3://bucket/prefix/version/: the worker downloads the bundle
# into VIBE_MODEL_CACHE_DIR/<version>/ itself, verifying every file, so the cache may be empty), or
# a bundle already on disk: VIBE_BUNDLE_DIR, or else the newest one in VIBE_MODEL_CACHE_DIR
# (manifest.json at its top or one folder down), which is then passed on as VIBE_BUNDLE_DIR.
# VIBE_APP_DIR and VIBE_NVIDIA_SMI exist for tests.
set -euo pipefail

fail() {
  echo "vibe-worker: refusing to start: $*" >&2
  exit 78
}

app_dir="${VIBE_APP_DIR:-/app}"
nvidia_smi="${VIBE_NVIDIA_SMI:-nvidia-smi}"
cache="${VIBE_MODEL_CACHE_DIR:-/var/cache/vibe/models}"
ort_dir="${app_dir}/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"

# 1. A GPU, as the NVIDIA container runtime exposes it (ECS: gpuCount 1; docker: --gpus all).
if ! command -v "${nvidia_smi}" >/dev/null 2>&1; then
  fail "no GPU: nvidia-smi is not available. Run on a GPU host with the NVIDIA container runtime (ECS task with gpuCount 1, or docker run --gpus all)."
fi
if ! gpus="$("${nvidia_smi}" --query-gpu=name,memory.total --format=csv,noheader 2>&1)"; then
  fail "no GPU: nvidia-smi failed: ${gpus}"
fi
if [ -z "${gpus}" ]; then
  fail "no GPU: nvidia-smi lists no device."
fi
echo "vibe-worker: GPU ${gpus}"

# 2. The CUDA execution provider (there is no CPU fallback once CUDA is asked for).
if [ ! -f "${ort_dir}/libonnxruntime_providers_cuda.so" ]; then
  fail "the CUDA execution provider of onnxruntime-node is missing (${ort_dir}/libonnxruntime_providers_cuda.so). Rebuild the image: its npm ci runs with ONNXRUNTIME_NODE_INSTALL=cuda12."
fi

# 3. A model bundle: downloaded by the worker from S3 (verified against its manifest), or on disk.
if [ -n "${VIBE_MODEL_S3_URI:-}" ]; then
  case "${VIBE_MODEL_S3_URI}" in
    s3://?*/?*) ;;
    *) fail "VIBE_MODEL_S3_URI must look like s3://bucket/prefix/version/ but is '${VIBE_MODEL_S3_URI}'." ;;
  esac
  mkdir -p "${cache}" 2>/dev/null || true
  if [ ! -w "${cache}" ]; then
    fail "the model cache ${cache} is not writable by uid $(id -u). Mount a host folder owned by uid 10001 there."
  fi
  echo "vibe-worker: bundle ${VIBE_MODEL_S3_URI}, cache ${cache} (downloaded by the worker if missing)"
elif [ -n "${VIBE_BUNDLE_DIR:-}" ]; then
  if [ ! -f "${VIBE_BUNDLE_DIR}/manifest.json" ]; then
    fail "no model bundle: VIBE_BUNDLE_DIR is ${VIBE_BUNDLE_DIR} but holds no manifest.json."
  fi
  echo "vibe-worker: bundle ${VIBE_BUNDLE_DIR} (no VIBE_MODEL_S3_URI)"
else
  found=""
  # The newest complete bundle: the worker's download writes manifest.json after every file.
  for manifest in "${cache}/manifest.json" "${cache}"/*/manifest.json; do
    if [ -f "${manifest}" ] && { [ -z "${found}" ] || [ "${manifest}" -nt "${found}" ]; }; then
      found="${manifest}"
    fi
  done
  if [ -z "${found}" ]; then
    fail "no model bundle: set VIBE_MODEL_S3_URI (s3://bucket/prefix/version/) or mount a bundle with its manifest.json at ${cache}."
  fi
  export VIBE_BUNDLE_DIR="${found%/manifest.json}"
  echo "vibe-worker: bundle ${VIBE_BUNDLE_DIR} (no VIBE_MODEL_S3_URI)"
fi

# exec: the worker becomes the process that receives SIGTERM (under the ECS init process).
exec "$@"
