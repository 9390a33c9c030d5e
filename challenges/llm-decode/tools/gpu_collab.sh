#!/usr/bin/env bash
# The example submissions scored on a GPU host that cannot reach the server, through Agora's offline runner path,
# and imported into a collaboration (BENCHMARKS.md: "H200, 2026-12-01", and the H100 runs before it).
# AGORA_GPU_CLASS (default h200) is the hardware class: the runner's second label and the work folder's name.
#
#   here:      bash challenges/llm-decode/tools/gpu_collab.sh prepare    # server, collaboration, agents, submissions,
#                                                                        # jobs; exported to .agora/CLASS/carry
#              bash scripts/gpu-host-kit.sh .agora/gpu-host-kit          # Node and the runner for a host without them
#   GPU host:  bash challenges/llm-decode/tools/gpu_collab.sh run [NAME...]  # in a copy of the checkout with both
#                                                                        # folders; NAMEs (opt-1 ...) pick some jobs
#   here:      bash challenges/llm-decode/tools/gpu_collab.sh upload    # results in; prints the leaderboard
#   here:      bash challenges/llm-decode/tools/gpu_collab.sh more NAME...  # one more job of the optimized
#                                                                        # submission per NAME, exported for `run`
#
# The local server keeps its embedded database in .agora/CLASS/db between `prepare` and `upload` and is stopped in
# between. `run` writes one .tgz per finished job folder to .agora/CLASS/carry/done (bring that folder back).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
CLASS=${AGORA_GPU_CLASS:-h200}
W=${AGORA_GPU_WORK:-$ROOT/.agora/$CLASS}
CARRY=$W/carry
PORT=${AGORA_GPU_PORT:-7463}
export AGORA_CONFIG=$W/config.json AGORA_URL=http://127.0.0.1:$PORT
agora() { "$ROOT/packages/cli/bin/agora" "$@"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }

start_server() {
  setsid "$ROOT/packages/cli/bin/agora" serve --data "$W/db" --port "$PORT" >>"$W/server.log" 2>&1 &
  echo $! >"$W/server.pid"
  for _ in $(seq 900); do curl -sf "$AGORA_URL/openapi.json" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "the server did not start: $W/server.log" >&2; exit 1
}
stop_server() { kill -- "-$(cat "$W/server.pid")" 2>/dev/null || true; wait 2>/dev/null || true; }

# Jobs in the order the GPU host runs them: what the figures need most comes first. name|bundle|agent|repeats.
# opt-1 is the optimized submission's first job on the runner (cold compile cache), opt-2..5 run warm.
JOBS=(
  "opt-1|optimized-cuda-graph|ada|"
  "opt-2|optimized-cuda-graph|ada|"
  "opt-3|optimized-cuda-graph|ada|"
  "opt-4|optimized-cuda-graph|ada|"
  "opt-5|optimized-cuda-graph|ada|"
  "skip|broken-skip-layers|bob|1"
  "path-split|broken-path-split|bob|1"
  "baseline|baseline|cy|1"
)

prepare() {
  [ -e "$W" ] && { echo "$W exists: remove it first (it holds the previous import's database)" >&2; exit 1; }
  mkdir -p "$CARRY/jobs"
  start_server
  trap stop_server EXIT
  for _ in $(seq 50); do grep -q '^  agora_' "$W/server.log" && break; sleep 0.2; done
  grep -o '^  agora_[A-Za-z0-9_-]*' "$W/server.log" | tr -d ' ' | agora login --url "$AGORA_URL" >/dev/null
  local slug
  slug=llm-decode-$CLASS
  agora init "$ROOT/challenges/llm-decode" --slug "$slug" --title "llm-decode on one $CLASS (offline runner)" >/dev/null
  agora use "$slug" >/dev/null
  declare -A sub
  for who in ada bob cy; do
    code=$(agora invite --role participant --json | field "['code']")
    agora register --invite "$code" --handle "$who" --owner "$who-lab" --model "example" >/dev/null
  done
  # the uploaded bundles: each example assembled from the repository's one copy of each file (tools/assemble.py)
  S="$W/bundles"
  for b in baseline optimized-cuda-graph broken-skip-layers broken-path-split; do
    python3 "$ROOT/challenges/llm-decode/tools/assemble.py" "$b" "$S/$b" >/dev/null
  done
  sub[baseline]=$(agora --profile cy submit "$S/baseline" --title "baseline: transformers, StaticCache, eager" --json | field "['submission']['id']")
  sub[optimized-cuda-graph]=$(agora --profile ada submit "$S/optimized-cuda-graph" \
    --title "Gemma4Static: layers as Triton kernels with programmatic dependent launch, CUDA graphs" \
    --parent "${sub[baseline]}" --lever triton-kernels --lever pdl --lever cuda-graph --json | field "['submission']['id']")
  sub[broken-skip-layers]=$(agora --profile bob submit "$S/broken-skip-layers" --title "skip 6 layers (broken on purpose)" \
    --parent "${sub[optimized-cuda-graph]}" --credit ada --json | field "['submission']['id']")
  sub[broken-path-split]=$(agora --profile bob submit "$S/broken-path-split" --title "path splitting (broken on purpose)" \
    --parent "${sub[optimized-cuda-graph]}" --credit ada --json | field "['submission']['id']")
  : >"$CARRY/jobs.tsv"
  for spec in "${JOBS[@]}"; do
    IFS='|' read -r name bundle who repeats <<<"$spec"
    id=$(agora --profile "$who" jobs run "${sub[$bundle]}" --split public ${repeats:+--repeats $repeats} --json | field "['id']")
    printf '%s\t%s\t%s\n' "$name" "$id" "$bundle" >>"$CARRY/jobs.tsv"
  done
  export AGORA_RUNNER_TOKEN
  AGORA_RUNNER_TOKEN=$(agora runner create --name $CLASS-offline --labels gpu,$CLASS --for "$slug" --json | field "['token']")
  echo "$AGORA_RUNNER_TOKEN" >"$W/runner-token"
  for _ in "${JOBS[@]}"; do
    d=$(mktemp -d "$CARRY/jobs/export-XXXX")
    rmdir "$d"
    agora runner export --out "$d" --labels gpu,$CLASS >/dev/null
    id=$(field "['job']['jobId']" <"$d/job.json")
    name=$(awk -F'\t' -v id="$id" '$2 == id {print $1}' "$CARRY/jobs.tsv")
    mv "$d" "$CARRY/jobs/$name"
  done
  echo "exported: $(ls "$CARRY/jobs" | tr '\n' ' ')"
}

run() {
  local kit=${AGORA_KIT:-$ROOT/.agora/gpu-host-kit}
  export AGORA_LLM_DECODE_MODEL=${AGORA_LLM_DECODE_MODEL:-/srv/agora/model} PYTHONUNBUFFERED=1
  mkdir -p "$CARRY/done"
  if [ ! -f "$AGORA_LLM_DECODE_MODEL/config.json" ]; then
    (cd "$ROOT/challenges/llm-decode" && python3 tools/make_checkpoint.py --size full --out "$AGORA_LLM_DECODE_MODEL")
  fi
  chmod -R a+rX "$AGORA_LLM_DECODE_MODEL"  # a root runner's sandbox reads it as an unprivileged user (decision 0130)
  local sb=()
  "$kit/agora-offline" --check || { echo "no sandbox on this host: the jobs run unsandboxed"; sb=(--allow-unsandboxed); }
  while IFS=$'\t' read -r name id bundle; do
    [ -e "$CARRY/done/$name.tgz" ] && continue
    [ $# -gt 0 ] && [[ " $* " != *" $name "* ]] && continue
    echo "=== $(date -u +%T) job $id ($name, $bundle)"
    "$kit/agora-offline" "$CARRY/jobs/$name" --challenges "$ROOT/challenges" "${sb[@]}" || echo "run-offline exited $?"
    tar -czf "$CARRY/done/$name.tgz.part" -C "$CARRY/jobs" "$name" && mv "$CARRY/done/$name.tgz.part" "$CARRY/done/$name.tgz"
    echo "=== $(date -u +%T) job $id done"
  done <"$CARRY/jobs.tsv"
}

more() {
  start_server
  trap stop_server EXIT
  export AGORA_RUNNER_TOKEN
  AGORA_RUNNER_TOKEN=$(cat "$W/runner-token")
  local first sid id d
  first=$(awk -F'\t' '$3 == "optimized-cuda-graph" {print $2; exit}' "$CARRY/jobs.tsv")
  sid=$(agora --profile ada jobs show "$first" --json | field "['submissionId']")
  for name in "$@"; do
    id=$(agora --profile ada jobs run "$sid" --split public --json | field "['id']")
    printf '%s\t%s\t%s\n' "$name" "$id" optimized-cuda-graph >>"$CARRY/jobs.tsv"
    d=$CARRY/jobs/$name
    agora runner export --out "$d" --labels gpu,$CLASS >/dev/null
    [ "$(field "['job']['jobId']" <"$d/job.json")" = "$id" ] || { echo "exported another job than $id" >&2; exit 1; }
  done
  echo "exported: $*"
}

upload() {
  start_server
  trap stop_server EXIT
  export AGORA_RUNNER_TOKEN
  AGORA_RUNNER_TOKEN=$(cat "$W/runner-token")
  for f in "$CARRY"/done/*.tgz; do
    name=$(basename "$f" .tgz)
    tar -xzf "$f" -C "$CARRY/jobs"
    agora runner upload "$CARRY/jobs/$name" || echo "upload of $name failed"
  done
  agora --profile ada jobs list
  agora --profile ada leaderboard
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  upload) upload ;;
  more) shift; more "$@" ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
