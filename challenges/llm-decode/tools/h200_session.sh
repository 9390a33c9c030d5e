#!/usr/bin/env bash
# One device call of the H200 measurements (BENCHMARKS.md, "H200, 2026-12-01"), on a GPU host holding a copy of the
# checkout with the GPU-host kit and the exported jobs of tools/gpu_collab.sh prepare under .agora/:
#   bash challenges/llm-decode/tools/h200_session.sh OUT_DIR SECONDS STEP...
# STEPs, in order, each skipped once less than its estimate of SECONDS is left:
#   jobs:N      jobs opt-1 .. opt-N of the optimized submission through `gpu_collab.sh run` (the offline runner)
#   job:NAME    one job by name (skip, path-split, baseline, opt-1 ...)
#   check       tools/check_triton_layers.sh into OUT_DIR/check (kernels against PyTorch, speed, start-up)
# After every job the finished job folders are packed into OUT_DIR/done.tgz (for gpu_collab.sh upload).
set -u -o pipefail
OUT_DIR=${1:?OUT_DIR}; BUDGET=${2:?SECONDS}; shift 2
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
T0=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - T0))); }
say() { echo "=== $(date -u +%T) +$(($(date +%s) - T0))s $*" | tee -a "$OUT_DIR/steps.txt"; }
export AGORA_LLM_DECODE_MODEL=${AGORA_LLM_DECODE_MODEL:-/srv/agora/model} PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
mkdir -p "$OUT_DIR"
M=$AGORA_LLM_DECODE_MODEL
[ -f "$M/config.json" ] || (cd "$HERE" && python3 tools/make_checkpoint.py --size full --out "$M" >"$OUT_DIR/checkpoint.txt" 2>&1)
chmod -R a+rX "$M"  # the sandboxed submission reads it as an unprivileged user (decision 0130)
say "checkpoint ready"
pack() {
  local done=${AGORA_GPU_WORK:-$ROOT/.agora/${AGORA_GPU_CLASS:-h200}}/carry/done
  tar -czf "$OUT_DIR/done.tgz.part" -C "$done" . && mv "$OUT_DIR/done.tgz.part" "$OUT_DIR/done.tgz"
}
job() {  # NAME ESTIMATE_S
  if [ "$(left)" -lt "$2" ]; then say "job $1 skipped: $(left)s left"; return; fi
  say "job $1"
  timeout $(($(left) - 5)) bash "$HERE/tools/gpu_collab.sh" run "$1" >>"$OUT_DIR/jobs.txt" 2>&1
  say "job $1 rc=$?"
  pack
}
for step in "$@"; do
  case $step in
  jobs:*) for i in $(seq "${step#jobs:}"); do job "opt-$i" 100; done ;;
  job:*) job "${step#job:}" 100 ;;
  check) timeout $(($(left) - 5)) bash "$HERE/tools/check_triton_layers.sh" "$OUT_DIR/check" "$M"; say "check rc=$?" ;;
  esac
done
say "end"
