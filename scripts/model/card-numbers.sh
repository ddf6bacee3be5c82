#!/usr/bin/env bash
# Measures what the v2 card reports, once finalize.mjs has put the model in models/default (the v1 model is taken from
# git, V1_REF): per-language held-out top-1 per token, per kind per whole word, the sanity tables, fill latency against v1,
# the training curve, and int8 agreement on the CI sample (as the README's int8 table). Everything lands in .model-work/card/ (and the curve in
# models/default/training-curve.svg); run it on a quiet machine (pause training) — the latency is a measurement.
# usage: scripts/model/card-numbers.sh        (after `npm run build && npm run compile`)
set -euo pipefail
cd "$(dirname "$0")/../.."
W=.model-work
OUT=$W/card
V1_REF=${V1_REF:-1a29c98}
NAME=${NAME:-v2s}
mkdir -p "$OUT"
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

if [ ! -f "$OUT/v1/config.json" ]; then
  log "v1 from git ($V1_REF)"
  mkdir -p "$OUT/v1"
  git archive "$V1_REF" models/default | tar -x -C "$OUT/v1" --strip-components=2
fi

log "narrative English held out (Jane Austen, .corpus/supplement/valid; trained on in phase B only)"
for m in v1="$OUT/v1" v2=models/default; do
  node dist/cli.js eval .corpus/supplement/valid --model "${m#*=}" --seq 256 --threads 1 --json > "$OUT/narrative-${m%%=*}.json"
  node dist/cli.js eval .corpus/supplement/valid --model "${m#*=}" --seq 256 --threads 1 --whole-word --json > "$OUT/narrative-${m%%=*}-ww.json"
done
log "sanity cases"
node scripts/model/sanity.mjs models/default --markdown > "$OUT/sanity.md"
node scripts/model/sanity.mjs "$OUT/v1" > "$OUT/sanity-v1.txt"
log "latency"
node scripts/model/latency.mjs "$OUT/v1" models/default --rounds 80 > "$OUT/latency.txt"
log "training curve"
# Phases A-B's logs exist only on the machine that trained them (the work folder is not kept between sessions): without
# them the committed curves stay as they are, and phases D and E, when they have run here, get their own.
if [ -f "$W/$NAME-a/train-log.jsonl" ]; then
  phases=("A, 128 x 16=$W/$NAME-a@128x16" "A2, 256 x 8=$W/$NAME-a2@256x8")
  # Phase B once it has finished (the first v2 release, from A2, shipped before B ran).
  grep -qs '"stopped": "done"' "$W/$NAME-b/summary.json" && phases+=("B, 256 x 32=$W/$NAME-b@256x32")
  grep -qs '"stopped": "done"' "$W/$NAME-d/summary.json" && phases+=("D, 4 layers, 256 x 32=$W/$NAME-d@256x32")
  node scripts/model/plot.mjs models/default/training-curve.svg "${phases[@]}"
else
  # Each later phase whose log is here gets its own curve (D's and E's ran in different sessions).
  grep -qs '"stopped": "done"' "$W/$NAME-d/summary.json" && node scripts/model/plot.mjs models/default/training-curve-d.svg "D, 4 layers, 256 x 32=$W/$NAME-d@256x32"
  grep -qs '"stopped": "done"' "$W/$NAME-e/summary.json" && node scripts/model/plot.mjs models/default/training-curve-e.svg "E, 4 layers, 256 x 32=$W/$NAME-e@256x32"
fi
log "int8 agreement (a copy of the folder; the shipped one stays float-only unless the card says otherwise)"
rm -rf "$OUT/int8" && cp -r models/default "$OUT/int8"
node dist/cli.js quantize "$OUT/int8" --eval test/fixtures/default-eval/code --eval test/fixtures/default-eval/prose --json > "$OUT/int8.json"
log "per language, per token"
THREADS=2 node scripts/model/per-language.mjs "$OUT/per-language.json" v1="$OUT/v1" v2=models/default > "$OUT/per-language.md"
# Per whole word (the two vocabularies scored on the same words) on the held-out samples of each kind, not per
# language: the full slices again for both models would double this script's time.
log "per kind, per whole word (held-out samples)"
scripts/model/valid-sample.sh
for k in code prose english; do
  for m in v1="$OUT/v1" v2=models/default; do
    node dist/cli.js eval $W/docs/valid-sample/$k --model "${m#*=}" --seq 256 --threads 2 --whole-word --json > "$OUT/ww-$k-${m%%=*}.json"
  done
done
du -b models/default/model.onnx models/default/onnx/model_masked.onnx models/default/tokenizer.json > "$OUT/sizes.txt"
log "done: $OUT"
