#!/usr/bin/env bash
# Measurement pipeline for the H100 (see BENCHMARKS.md). Usage: bash tools/h100_pipeline.sh STAGE...
# Work dir /tmp/agora (checkpoints, data, results); progress in /tmp/agora/progress.
# The standalone measurements of 2026-11-23, as they ran then (the examples were folders of copies; they are now
# assembled by tools/assemble.py, so this script is a record, not a tool); tools/gpu_collab.sh (through Agora's offline runner) is the
# current path. Since decision 0072, --write-reference decodes every prompt of the split's pool (untimed for
# the prompts no repeat drew): with the baseline and the 128-prompt public pool that is about 20 minutes more.
set -u
cd "$(dirname "$0")/.."
W=/tmp/agora; mkdir -p $W/res
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
P=python3
SM="--prompts 6 --heldout 3 --max-tokens 96"
stage() { echo "=== $(date -u +%T) stage $1 start" | tee -a $W/progress; }
done_() { echo "=== $(date -u +%T) stage $1 rc=$2" | tee -a $W/progress; }
H() { # name sub split extra...
  local name=$1 sub=$2 split=$3; shift 3
  $P -m harness --submission $sub --split $split --out $W/res/$name.json --model $W/model --data $W/data \
     --log-dir $W/logs/$name "$@" 2>&1 | tail -3
  cp $W/logs/$name/submission.log $W/res/$name.sublog 2>/dev/null
}
for s in "$@"; do
  stage $s
  case $s in
  env)
    nvidia-smi; $P -c "import torch,transformers,triton;print(torch.__version__,transformers.__version__,triton.__version__)"
    $P - <<'PY'
import inspect, transformers
from transformers import Gemma4TextConfig, StaticCache
from transformers.models.gemma4 import modeling_gemma4 as mg
print("StaticCache", inspect.signature(StaticCache.__init__))
print("TextModel.forward", inspect.signature(mg.Gemma4TextModel.forward))
print("rotary.forward", inspect.signature(mg.Gemma4TextRotaryEmbedding.forward))
c = Gemma4TextConfig()
print({k: getattr(c, k, None) for k in ("global_head_dim", "num_global_key_value_heads", "rope_parameters", "attention_k_eq_v", "use_double_wide_mlp")})
PY
    ;;
  small)
    $P tools/make_checkpoint.py --size small --out $W/small && \
    $P tools/make_data.py --model $W/small --split public --data $W/sdata --prompts 4 --heldout 2 --min-len 8 --max-len 48 --heldout-continuation 16 && \
    for sub in baseline optimized-cuda-graph broken-skip-layers; do
      $P -m harness --submission submissions/$sub --split public --out $W/res/small-$sub.json --model $W/small --data $W/sdata \
        --prompts 4 --heldout 2 --max-tokens 32 --repeats 2 --warmup 1 --log-dir $W/logs/small-$sub $([ $sub = baseline ] && echo --write-reference) 2>&1 | tail -2
      cp $W/logs/small-$sub/submission.log $W/res/small-$sub.sublog
    done ;;
  ckpt)
    rm -rf $W/model; $P tools/make_checkpoint.py --size full --out $W/model && ls -la $W/model && \
    $P -c "
import json,hashlib,sys; sys.path.insert(0,'.')
from harness import safetensors_lite as s, system
print(json.dumps(system.weight_bytes('$W/model')))" | tee $W/res/weight_bytes.json ;;
  survey)
    $P tools/survey_random_model.py --model $W/model --spreads 0,0.5 --prompts 3 --tokens 64 --out $W/res/survey.json ;;
  data)
    for sp in public private; do $P tools/make_data.py --model $W/model --split $sp --data $W/data --prompts 128 --heldout 8 --heldout-continuation 64; done ;;
  baseline) H baseline submissions/baseline public $SM --repeats 2 --warmup 2 --write-reference ;;
  opt) for j in 2 3 4 5; do H opt-$j submissions/optimized-cuda-graph public $SM --repeats 3 --warmup 2; done ;;
  opt1) H opt-1 submissions/optimized-cuda-graph public $SM --repeats 3 --warmup 2 ;;
  skip) H skip submissions/broken-skip-layers public $SM --repeats 2 --warmup 2 ;;
  vocab)
    rm -rf $W/bvp; cp -r submissions/broken-vocab-prune $W/bvp && $P tools/make_keep_vocab.py --data $W/data --out $W/bvp/keep_vocab.json && \
    H vocab-public $W/bvp public $SM --repeats 2 --warmup 2 && H vocab-private $W/bvp private $SM --repeats 2 --warmup 2 ;;
  usedata) rm -rf $W/data && mkdir -p $W/data && cp -r data/public $W/data/ ;;
  defbase) H def-baseline submissions/baseline public --write-reference ;;
  defopt) H def-opt submissions/optimized-cuda-graph public ;;
  basepriv) H baseline-private submissions/baseline private $SM --repeats 2 --warmup 2 ;;
  esac
  done_ $s $?
done
