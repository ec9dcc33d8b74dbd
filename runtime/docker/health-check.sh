#!/usr/bin/env bash
# Health check of the VIBE GPU worker (Docker HEALTHCHECK and the ECS task definition run it).
# Healthy while the worker keeps touching its heartbeat file: every 10 s from its main thread
# while it is alive (runtime/src/worker/health-file.ts), including while it downloads the bundle,
# loads the model and runs a job (inference has its own thread, so the event loop stays
# responsive, DESIGN §10). A wedged or dead worker stops touching it and the task is replaced
# once the file is older than VIBE_HEALTH_MAX_AGE_SECONDS (90 s: nine missed touches).
set -euo pipefail

file="${VIBE_HEALTH_FILE:-/tmp/vibe-worker.alive}"
max_age="${VIBE_HEALTH_MAX_AGE_SECONDS:-90}"

if [ ! -f "${file}" ]; then
  echo "unhealthy: ${file} has not been written yet"
  exit 1
fi
age=$(($(date +%s) - $(stat -c %Y "${file}")))
if [ "${age}" -gt "${max_age}" ]; then
  echo "unhealthy: ${file} was last touched ${age} s ago (limit ${max_age} s)"
  exit 1
fi
echo "healthy: ${file} touched ${age} s ago"
