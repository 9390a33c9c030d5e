#!/usr/bin/env bash
# The first GPU check of --triton-layers (decode_kernels.layer_step), on a GPU host with this checkout:
#   - tools/bench_kernels.py with SWEEP=0: every kernel against PyTorch, layer_step against gemma4_layer;
#   - tools/check_static_engine.py: speed, share of the ceiling, tokens the reference does not rank first, start-up,
#     on a cold Triton cache with 1 and with 8 precompile threads, then warm.
#   bash challenges/llm-decode/tools/check_triton_layers.sh OUT_DIR [MODEL_DIR]
# Writes OUT_DIR/*.txt; writes the seeded full-size checkpoint to MODEL_DIR (default /tmp/model) if it is not there.
set -u
cd "$(dirname "$0")/.."
OUT=${1:?OUT_DIR}
M=${2:-/tmp/model}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
stamp() { echo "$1 $(date -u +%T)" >>"$OUT/log.txt"; }
stamp start
[ -f "$M/config.json" ] || python3 tools/make_checkpoint.py --size full --out "$M" >"$OUT/checkpoint.txt" 2>&1
stamp checkpoint
C=$(mktemp -d)
check() {  # NAME CACHE MODE
  TRITON_CACHE_DIR=$C/$2/triton TORCHINDUCTOR_CACHE_DIR=$C/$2/inductor \
    python3 tools/check_static_engine.py "$M" 128 "$3" >"$OUT/$1.txt" 2>&1
  stamp "$1"
}
check layers-cold-8 t8 static:fuse+layers+pt=8
TRITON_CACHE_DIR=$C/bench/triton SWEEP=0 python3 tools/bench_kernels.py "$M" >"$OUT/bench.txt" 2>&1
stamp bench
check layers-cold-1 t1 static:fuse+layers+pt=1
check layers-warm-8 t8 static:fuse+layers+pt=8
check compile-cold ic static:compile+fuse+kernels+small=1000000
