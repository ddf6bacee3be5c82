#!/usr/bin/env bash
# Informed vs uniform masking at equal steps (issue 11 #4): continued pretraining of the shipped model on the v2 sweep
# sample, once per policy, same seed, data, schedule and step count; scored on the held-out slices with uniformly
# masked evaluation for both (the trainer's own held-out split, and `cloze eval` on each 1.5 MB held-out sample).
#   scripts/model/masking-compare.sh [STEPS]    (after scripts/model/prepare.mjs; results in .model-work/masking/)
# Starting from a trained model rather than random init keeps the comparison off the unigram plateau, where no
# masking policy can show anything in a few million tokens (see the v2 card draft).
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-2000}
W=.model-work
O=$W/masking
mkdir -p "$O"
for m in uniform surprisal; do
  if [ ! -f "$O/$m/summary.json" ]; then
    rm -rf "$O/$m"
    nice -n 19 node dist/cli.js train $W/docs/sweep --from models/default --steps "$STEPS" --batch 16 --seq 128 --lr 5e-4 \
      --warmup 100 --decay linear --threads 1 --held-out 0.01 --seed 1 --masking $m --out "$O/$m" --json > "$O/$m.result.json" 2> "$O/$m.log"
  fi
done
res="{\"steps\":$STEPS"
for m in shipped uniform surprisal; do
  model=models/default; [ $m = shipped ] || model=$O/$m/model
  res="$res,\"$m\":{"
  sep=""
  for kind in code prose english; do
    r=$(nice -n 19 node dist/cli.js eval $W/docs/valid-sample/$kind --model "$model" --seq 128 --batch 16 --max-batches 60 --threads 1 --json)
    res="$res$sep\"$kind\":$r"; sep=","
  done
  res="$res}"
done
echo "$res}" | tee "$O/results.json"
