#!/usr/bin/env bash
# The trained-model measurements on the GPU host (docs/decisions/0130; BENCHMARKS.md "H200, 2026-12-02"):
#   bash challenges/llm-decode/tools/h200_trained.sh OUT_DIR SECONDS MODE
# MODE train: the small target and the two drafts (tools/train_model.py), trained side by side (small models leave
#   the GPU mostly idle; each run is deterministic on its own); AGORA_TRAIN_STEPS overrides the presets' steps.
# MODE score: their split, then the standalone harness (unsandboxed: the repository's own examples) on the trained
#   target for the speculative example with each draft, the optimized example and the layer-skipping one.
# MODE quick: a few training steps and one short repeat each (a smoke test of the whole path).
# Each step is skipped once less than its estimate of SECONDS is left; results go to OUT_DIR/*.json.
set -u -o pipefail
OUT_DIR=${1:?OUT_DIR}; BUDGET=${2:?SECONDS}; MODE=${3:?MODE}; QUICK=
if [ "$MODE" = quick ]; then QUICK=1; fi
HERE=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${AGORA_CORPUS_ROOT:-$(cd "$HERE/../.." && pwd)}
W=${AGORA_TRAINED_WORK:-/srv/agora/trained}
T0=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - T0))); }
say() { echo "=== $(date -u +%T) +$(($(date +%s) - T0))s $*" | tee -a "$OUT_DIR/trained.log"; }
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
mkdir -p "$OUT_DIR" "$W"
cd "$HERE"
steps=() harness_args=()
[ -n "${AGORA_TRAIN_STEPS:-}" ] && steps=(--steps "$AGORA_TRAIN_STEPS")
[ -n "$QUICK" ] && steps=(--steps 30) && harness_args=(--repeats 1 --prompts 4 --heldout 2 --max-tokens 32)
est() { if [ -n "$QUICK" ]; then echo $(($1 / 5)); else echo "$1"; fi; }
train() {  # PRESET ESTIMATE_S
  if [ "$(left)" -lt "$(est "$2")" ]; then say "train $1 skipped: $(left)s left"; return 1; fi
  say "train $1"
  timeout $(($(left) - 5)) python3 tools/train_model.py --preset "$1" --out "$W/$1" --root "$ROOT" "${steps[@]}" \
    >>"$OUT_DIR/trained.log" 2>&1
  local rc=$?
  say "train $1 rc=$rc"
  [ -f "$W/$1/config.json" ] && python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['agora_trained_model']))" \
    "$W/$1/config.json" >"$OUT_DIR/train-$1.json"
  return $rc
}
score() {  # NAME BUNDLE_EXAMPLE ESTIMATE_S [DRAFT...]
  local name=$1 ex=$2 est=$3; shift 3
  if [ "$(left)" -lt "$(est "$est")" ]; then say "score $name skipped: $(left)s left"; return; fi
  say "score $name"
  rm -rf "$W/bundles/$name"
  python3 tools/assemble.py "$ex" "$W/bundles/$name" >/dev/null
  for d in "$@"; do cp -r "$W/$d" "$W/bundles/$name/$d"; done
  timeout $(($(left) - 3)) python3 -m harness --submission "$W/bundles/$name" --split public --model "$W/target" \
    --data "$W/data" --unsandboxed --out "$OUT_DIR/$name.json" --log-dir "$W/logs/$name" "${harness_args[@]}" \
    >>"$OUT_DIR/trained.log" 2>&1
  say "score $name rc=$?"
  tail -c 3000 "$W/logs/$name/submission.log" >>"$OUT_DIR/trained.log" 2>/dev/null
}
if [ "$MODE" != score ]; then
  train target 20 & train draft-1 10 & train draft-4 10 & wait
fi
[ "$MODE" = train ] && exit 0
python3 tools/train_model.py --data-out "$W/data" --root "$ROOT" >>"$OUT_DIR/trained.log" 2>&1
say "data rc=$?"
[ -d "$W/draft-1" ] && score speculative speculative-draft 35 draft-1
[ -d "$W/draft-4" ] && score speculative-large speculative-large-draft 35 draft-4
score optimized optimized-cuda-graph 35
score skip broken-skip-layers 35
say "end"
