#!/usr/bin/env bash
# v2 sweep run: one (vocabulary, size) point trained for a fixed number of TOKENS PROCESSED — not minutes, so other
# work on the machine slows a run down but does not change its result — then scored on the held-out slices.
# usage: scripts/model/sweep-v2.sh VOCAB LxHxAxF [TOKENS]     (after scripts/model/prepare.mjs with CLOZE_VOCABS)
#   e.g. scripts/model/sweep-v2.sh 16384 3x192x4x768 6000000
# Recipe (fixed for every point): sequence 128 (positions for 256), batch 16, AdamW lr 1.5e-3, 200 warm-up steps,
# linear decay to 0 at the budget, no dropout, loss at the masked positions only, one thread, nice 19.
# Resumable: rerunning the same command continues from the run's checkpoint.
# Writes .model-work/sweep3/V<vocab>-<size>/ and appends one JSON line to .model-work/sweep3/results.jsonl.
# (sweep2/ holds the first sweep, at lr 3e-3, which diverged back to the unigram plateau at every point; LR and
# DIR override the rate and the folder.)
set -euo pipefail
cd "$(dirname "$0")/../.."
V=$1
SIZE=$2
TOKENS=${3:-6000000}
IFS=x read -r L H A F <<<"$SIZE"
W=.model-work
LR=${LR:-1.5e-3}
EXTRA=(${EXTRA:-})    # more `cloze train` options for a new run (e.g. "--beta2 0.98 --mask-prob 0.3")
POS=${POS:-sinusoid}   # --position-init of the new model (sweep3 ran with normal: BERT's random table)
DIR=$W/${DIR:-sweep3}
OUT=$DIR/V$V-$SIZE
SEQ=128
BATCH=16
STEPS=$(( TOKENS / (SEQ * BATCH) ))
mkdir -p "$DIR"
T=(nice -n 19 node dist/cli.js train)
if [ -f "$OUT/summary.json" ] && grep -q '"stopped": "done"' "$OUT/summary.json"; then
  echo "V$V-$SIZE: already trained"
elif [ -f "$OUT/checkpoint.bin" ]; then
  "${T[@]}" --resume --out "$OUT" > "$OUT.log" 2>&1
else
  rm -rf "$OUT"
  "${T[@]}" $W/docs/sweep --tokenizer $W/tokenizer-$V --layers "$L" --hidden "$H" --heads "$A" --intermediate "$F" \
    --seq $SEQ --max-positions 256 --batch $BATCH --steps $STEPS --lr $LR --warmup 200 --decay linear \
    --position-init "$POS" "${EXTRA[@]}" --threads 1 --held-out 0.01 --eval-every 1000000 --checkpoint-every 400 --out "$OUT" > "$OUT.log" 2>&1
fi
# Held-out: per-token scores, and whole-word scores (comparable across vocabularies), on a fixed sample of each slice.
scripts/model/valid-sample.sh
res="{\"vocab\":$V,\"size\":\"$SIZE\",\"tokens\":$(( STEPS * SEQ * BATCH )),\"steps\":$STEPS"
for kind in code prose english; do
  d=$W/docs/valid-sample/$kind
  [ -d "$d" ] || continue
  tok=$(nice -n 19 node dist/cli.js eval "$d" --model "$OUT/model" --seq $SEQ --batch 16 --max-batches 60 --threads 1 --json)
  word=$(nice -n 19 node dist/cli.js eval "$d" --model "$OUT/model" --seq $SEQ --batch 16 --max-batches 60 --threads 1 --whole-word --json)
  res="$res,\"$kind\":$tok,\"${kind}_ww\":$word"
done
cfg=$( (ls "$OUT"/model/config.json "$OUT"/model/v*/config.json 2>/dev/null || true) | tail -1)   # the run's model folder is versioned
params=$(node -e "const c=require('./$cfg');const h=c.hidden_size,l=c.num_hidden_layers,f=c.intermediate_size,v=c.vocab_size,p=c.max_position_embeddings;console.log(v*h+p*h+h+2*h+l*(4*h*h+4*h+2*h*f+f+h+4*h)+h*h+h+2*h+v)")
echo "$res,\"lr\":$LR,\"positions\":\"$POS\",\"extra\":\"${EXTRA[*]}\",\"params\":$params}" | tee -a $DIR/results.jsonl
