#!/usr/bin/env bash
# Model-size sweep for the default model: equal wall-clock per size, then held-out scores on code and prose.
# usage: scripts/model/sweep.sh [MINUTES]   (after scripts/model/prepare.mjs; writes .model-work/sweep-*/)
set -euo pipefail
cd "$(dirname "$0")/../.."
MIN=${1:-5}
W=.model-work
for size in 2x128x4x512 4x256x4x1024 6x384x6x1536; do
  IFS=x read -r L H A F <<<"$size"
  out=$W/sweep-${L}x${H}
  rm -rf "$out"
  node dist/cli.js train $W/docs/train --tokenizer $W/tokenizer --layers "$L" --hidden "$H" --heads "$A" --intermediate "$F" \
    --seq 256 --batch 8 --lr 2e-3 --held-out 0.02 --minutes "$MIN" --eval-every 1000000 --out "$out" --json > "$out.json" 2> "$out.log" || { echo "failed: $size"; tail -5 "$out.log"; exit 1; }
  for kind in code prose; do
    node dist/cli.js eval $W/docs/valid/$kind --model "$out/model" --seq 256 --json > "$out.eval-$kind.json"
  done
  echo "$size: $(tail -1 "$out.log")"
  echo "  code  $(cat "$out.eval-code.json")"
  echo "  prose $(cat "$out.eval-prose.json")"
done
