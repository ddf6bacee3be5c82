#!/usr/bin/env bash
# Scores a model folder on the held-out samples (the first 1.5 MB of each slice, as the sweep does: 60 batches of
# 16 x 128, per token and per whole word) and appends one JSON line to .model-work/sample-evals.jsonl, so snapshots of
# the long run compare with the sweep points and with v1 (.model-work/sweep2/v1-sample.json) on the same masks.
# usage: scripts/model/sample-eval.sh MODEL_DIR [LABEL]      (after scripts/model/sweep-v2.sh made docs/valid-sample)
set -euo pipefail
cd "$(dirname "$0")/../.."
M=$1
LABEL=${2:-$M}
W=.model-work
res="{\"label\":\"$LABEL\",\"model\":\"$M\""
for kind in code prose english; do
  d=$W/docs/valid-sample/$kind
  [ -d "$d" ] || continue
  tok=$(nice -n 19 node dist/cli.js eval "$d" --model "$M" --seq 128 --batch 16 --max-batches 60 --threads 1 --json)
  word=$(nice -n 19 node dist/cli.js eval "$d" --model "$M" --seq 128 --batch 16 --max-batches 60 --threads 1 --whole-word --json)
  res="$res,\"$kind\":$tok,\"${kind}_ww\":$word"
done
echo "$res}" | tee -a $W/sample-evals.jsonl
