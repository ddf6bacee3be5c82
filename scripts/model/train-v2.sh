#!/usr/bin/env bash
# The v2 default model's long training run, in phases, resumable across sessions. Run it again after any stop
# (end of session, kill, reboot): each phase continues from its checkpoint, bit-exact with the same thread count.
#
#   scripts/model/train-v2.sh            # from the repository root; nice 19, one thread; logs in .model-work/v2s-*.log
#   THREADS=2 scripts/model/train-v2.sh  # two threads: ≈ 1.5 x the speed, on an otherwise idle machine only
#   NAME=v2 POS=normal scripts/model/train-v2.sh     # the first run (random positions; stopped on the plateau)
#
# What it does, in order (each step is skipped when its output is already there):
#   0. the corpus (.corpus/, `npm run corpus`) and the per-document files and tokenizers (scripts/model/prepare.mjs)
#      — rebuilt byte-identically from the pins if this machine lost its ignored files (checkpoints live only in
#      .model-work/: phase B then starts from the shipped model when that is A2's release, and when it is already B's
#      — eval.json's "run" — there is nothing to train);
#   1. phase A: sequence 128 (positions for 256), batch 16, lr 1.5e-3 with a linear decay planned over 58,600 steps,
#      stopped at step 26,500 (--stop-at: the schedule stays the whole plan's);
#   2. phase A2: continues A's model, its positions 128-255 copied from 0-127, at sequence 256 (batch 8: the same
#      2,048 tokens a step) for the plan's remaining 32,100 steps, from A's learning rate at its stop linearly to 0,
#      on a prose-weighted mix (scripts/model/mix.mjs):
#      positions 128-255 are learned over half the run, not in the last phase only (see below);
#   3. phase B: continues A2's model at sequence 256, batch 32 (the larger batch late), lr 7e-4, linear decay to 0, on
#      the same mix and Jane Austen's novels (narrative English, .corpus/supplement);
#   4. the gate: scripts/model/finalize.mjs --provisional, which replaces models/default only if the model beats the
#      shipped one on every held-out slice (code, technical prose, general English); otherwise it says so;
#   5. phase D: one layer deeper (4 x 192): B's model with a near-identity layer added on top
#      (scripts/model/grow-depth.mjs), then B's recipe (3,660 steps of 32 x 256 from lr 7e-4), then the gate again.
#      (A phase C — B's recipe again at the same size, half the lr — gained 0.15-0.2 points on the gate's slices:
#      the 3 x 192 run was close to done improving, so the budget goes to depth instead. STEPS_C=3660 runs it.)
#   6. phase E: continues D's model at its size on the same balance of kinds, with code it has not read at sequence
#      256 (the next 35% of the code documents by hash, scripts/model/mix.mjs 0.35:0.7), lr 5e-4, then the gate;
#   7. phase F: the same again from E's model with the last 30% of the code (0.7:1), then the gate.
# Budget: steps are fixed (not minutes), so the result does not depend on how busy the machine is. At ~6-7k tokens/s
# on one thread (≈ 11k on two), phases A and A2 (120 M tokens) are ~5 CPU-hours and phase B (30 M tokens) ~1.5.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=.model-work
# The winner of the sweep (see the card draft .model-work/sweep2/results.jsonl and models/default/README.md).
VOCAB=${VOCAB:-16384}
L=${L:-3} H=${H:-192} A=${A:-4} F=${F:-768}
STEPS_A=${STEPS_A:-58600}   # 120 M tokens at 16 x 128
STOP_A=${STOP_A:-26500}     # then sequence 256 (phase A2)
STEPS_B=${STEPS_B:-3660}    # 30 M tokens at 32 x 256
STEPS_C=${STEPS_C:-0}       # 30 M more at 3660 (not run by default: see 5. above)
STEPS_D=${STEPS_D:-3660}    # 30 M tokens at 32 x 256, one layer deeper
STEPS_E=${STEPS_E:-6000}    # 49 M more at 4 x 192, fresh code (about 0.8 of an epoch of its mix)
# Peak learning rates. A first attempt at 3e-3 (the v1 recipe) diverged on this larger model: the loss fell to 6.38 by
# step 776 (lr 2.3e-3, already below the unigram level, so the model used context), rose to 6.9 as the warm-up reached
# 3e-3 and sat on the unigram plateau (held-out top-1 9.3% at step 5,000, loss 6.72 at 6,000). Half the divergence point:
LR_A=${LR_A:-1.5e-3}
LR_A2=${LR_A2:-8.4e-4}      # phase A's learning rate at its stop: 1.5e-3 x (58,600 - 26,500) / 57,600
LR_B=${LR_B:-7e-4}
LR_C=${LR_C:-3.5e-4}
LR_D=${LR_D:-7e-4}
LR_E=${LR_E:-5e-4}
STEPS_F=${STEPS_F:-6000}    # 49 M more, the last of the code
LR_F=${LR_F:-5e-4}
THREADS=${THREADS:-1}
# How phase A's new model starts its position table (sinusoid; normal: BERT's random rows, which kept the first run,
# .model-work/v2-a, a bag-of-words model for 19,000 steps — see the card draft), and the run folders' prefix.
POS=${POS:-sinusoid}
NAME=${NAME:-v2s}
NICE=(nice -n 19)

log() { echo "[$(date -u +%H:%M:%S)] $*"; }

[ -f dist/cli.js ] && [ -f out/src/train/tokenizerTrainer.js ] || { log "building"; npm run build >/dev/null && npm run compile >/dev/null; }
if [ ! -f .corpus/manifest.json ]; then
  log "corpus missing: rebuilding it (apt-get update first if apt has no lists)"
  [ -n "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock | head -1)" ] || apt-get update >/dev/null
  "${NICE[@]}" npm run corpus
fi
if [ ! -f $W/tokenizer-$VOCAB/tokenizer.json ] || [ ! -d $W/docs/train ]; then
  log "preparing documents and tokenizers"
  CLOZE_VOCABS=$VOCAB,8192,30000 "${NICE[@]}" node scripts/model/prepare.mjs .corpus $W
fi

phase() { # NAME ARGS...: start the phase, or resume it, or skip it when done
  local out=$W/$1; shift
  if [ -f "$out/summary.json" ] && grep -Eq '"stopped": "(done|step)"' "$out/summary.json"; then
    log "$(basename "$out"): done"
    return 0
  fi
  if [ -f "$out/checkpoint.bin" ]; then
    log "$(basename "$out"): resuming"
    # Plans made before the cadence was saved with the run resume without it: say it again.
    "${NICE[@]}" node dist/cli.js train --resume --out "$out" "${CADENCE[@]}" --threads $THREADS --json >> "$out.result.json" 2>> "$out.log"
  else
    log "$(basename "$out"): starting"
    # A prepared-data.bin left there (or linked from a run on the same files) is kept: the trainer checks its key.
    [ -d "$out" ] && find "$out" -mindepth 1 -maxdepth 1 ! -name prepared-data.bin -exec rm -rf {} +
    "${NICE[@]}" node dist/cli.js train "$@" --out "$out" --json >> "$out.result.json" 2>> "$out.log"
  fi
  grep -Eq '"stopped": "(done|step)"' "$out/summary.json" || { log "$(basename "$out") stopped before its last step; run this script again to continue"; exit 1; }
}

# A machine without this run's checkpoints (the work folder is not kept between sessions): phase A2's final model is
# the shipped one (models/default, v2's first release, eval.json version 2; its weights rounded to float16), so phase B
# starts from it instead of training A and A2 again from random init. (Until that release this branch continued A2
# from a committed float16 snapshot, models/snapshots/v2s-a2, which the release replaced.)
A2=$NAME-a2
A2_MODEL=$W/$NAME-a2/model
# eval.json's "run" (finalize.mjs): which run the shipped model is the release of, so that a machine without this
# run's checkpoints goes on from the shipped model instead of training its phase again on top of itself.
SHIPPED_RUN=$(grep -o '"run": "[^"]*"' models/default/eval.json | cut -d'"' -f4 || true)
if [ ! -f $W/$NAME-f/checkpoint.bin ] && [ "$SHIPPED_RUN" = "$NAME-f" ]; then
  log "models/default is phase F's release ($NAME-f) and there are no checkpoints here: nothing to train"
  exit 0
fi
E_MODEL=$W/$NAME-e/model
if [ ! -f $W/$NAME-e/summary.json ] && [ "$SHIPPED_RUN" = "$NAME-e" ]; then
  log "no phase E checkpoints here: phase F starts from the shipped model (phase E's release)"
  E_MODEL=models/default
fi
done_here() { grep -Eqs '"stopped": "(done|step)"' "$W/$1/summary.json"; }
D_MODEL=$W/$NAME-d/model
if [ "$E_MODEL" = models/default ] || done_here $NAME-e; then
  D_MODEL=models/default # (everything before E is behind the model F starts from)
elif [ ! -f $W/$NAME-d/summary.json ] && [ "$SHIPPED_RUN" = "$NAME-d" ]; then
  log "no phase D checkpoints here: phase E starts from the shipped model (phase D's release)"
  D_MODEL=models/default
fi
B_MODEL=$W/$NAME-b/model
if [ "$D_MODEL" != models/default ] && done_here $NAME-d; then
  B_MODEL=models/default # (phase D ran here from the shipped B; what came before is behind it)
elif [ ! -f $W/$NAME-b/summary.json ] && [ "$SHIPPED_RUN" = "$NAME-b" ]; then
  log "no phase B checkpoints here: phase D starts from the shipped model (phase B's release)"
  B_MODEL=models/default
fi
if [ "$D_MODEL" = models/default ] || [ "$B_MODEL" = models/default ]; then
  : # A, A2 and B are behind the shipped model
elif [ ! -f $W/$NAME-a2/checkpoint.bin ] && [ ! -f $W/$NAME-a2r/checkpoint.bin ] && [ ! -f $W/$NAME-a/checkpoint.bin ] && grep -q '"version": 2' models/default/eval.json; then
  log "no checkpoints here: phase B starts from the shipped model (phase A2's release)"
  A2_MODEL=models/default
elif [ ! -f $W/$NAME-a2r/checkpoint.bin ]; then
  # (a resume repeats the cadence, for plans made before it was saved, and the stop, which is not part of the plan)
  CADENCE=(--eval-every 5000 --checkpoint-every 500 --stop-at $STOP_A)
  phase $NAME-a $W/docs/train --tokenizer $W/tokenizer-$VOCAB --layers $L --hidden $H --heads $A --intermediate $F \
    --seq 128 --max-positions 256 --batch 16 --steps $STEPS_A --lr $LR_A --warmup 1000 --decay linear \
    --position-init "$POS" --threads $THREADS --held-out 0.003 --eval-every 5000 --checkpoint-every 500 --stop-at $STOP_A
  # A2 and B weigh prose more than the corpus does (code 48 / technical prose 31 / general English 21% of the bytes,
  # against 72 / 17 / 11): prose is the slice v2 gains least on. Evidence (card draft): two 1,000-step cool-down branches
  # from step 22,344, same recipe, on a 10% sample of each mix — the prose-weighted one +0.5 top-1 on prose, +0.3 on
  # English, -0.2 on code. Hard links, rebuilt identically from the corpus.
  # Why A2 moves to sequence 256 so early: positions 128-255 of a model trained at 128 are untrained, and they are not
  # harmless — the step-22,344 model scores 45.8% on held-out prose at sequence 128 and 23.4% at 256; 600 steps of
  # phase B's recipe (32 x 256) brought its own held-out split (all kinds) at 256 only to 36.6%. A2 starts with those
  # rows copied from the learned ones (scripts/model/copy-positions.mjs): they learn in hundreds of steps, not thousands.
  [ -d $W/docs/train-m35 ] || node scripts/model/mix.mjs $W/docs/train-m35 0.35
  [ -f $W/$NAME-a/model-256/config.json ] || node scripts/model/copy-positions.mjs $W/$NAME-a/model $W/$NAME-a/model-256 128
  CADENCE=(--eval-every 5000 --checkpoint-every 500)
  phase $NAME-a2 $W/docs/train-m35 --from $W/$NAME-a/model-256 \
    --seq 256 --batch 8 --steps $((STEPS_A - STOP_A)) --lr $LR_A2 --warmup 300 --decay linear \
    --threads $THREADS --held-out 0.003 --eval-every 5000 --checkpoint-every 500
else
  A2=$NAME-a2r
  A2_MODEL=$W/$A2/model
  CADENCE=(--eval-every 5000 --checkpoint-every 500)
  phase $A2
fi
# B also reads narrative English, which the corpus lacks (its general English is dictionaries): Jane Austen's six
# novels from Debian's r-cran-janeaustenr (.corpus/supplement, 3.9 MB to train on, 5 chapters' worth held out), built
# beside the corpus so that everything phases A and A2 read stays as it was.
[ -f .corpus/supplement/manifest.json ] || { npx tsc -p scripts/corpus && node out/scripts/corpus/supplement.js .corpus; }
mixed() { # DIR CODE_RANGE: a mix of every prose and English document, Austen, and that range of the code by hash
  [ -d "$1" ] && return 0
  node scripts/model/mix.mjs "$1.tmp" "$2"
  cp -l .corpus/supplement/train/*.txt "$1.tmp/"
  rm -rf "$1" && mv "$1.tmp" "$1"
}
# B, C and D read A2's mix (the first 35% of the code) and Austen; only a machine that still has them to train makes it.
[ "$D_MODEL" = models/default ] || mixed $W/docs/train-b 0.35
CADENCE=(--eval-every 1000 --checkpoint-every 200)
if [ "$D_MODEL" != models/default ] && [ "$B_MODEL" != models/default ]; then
  phase $NAME-b $W/docs/train-b --from $A2_MODEL \
    --seq 256 --batch 32 --steps $STEPS_B --lr $LR_B --warmup 200 --decay linear \
    --threads $THREADS --held-out 0.003 --eval-every 1000 --checkpoint-every 200
  if [ "$SHIPPED_RUN" != "$NAME-b" ]; then
    log "phase B done; the gate:"
    # (not fatal: with a later phase's release shipped, B loses to it and the run goes on to D)
    node scripts/model/finalize.mjs $W/$NAME-b --provisional --version 2 || log "phase B's model not shipped"
  fi
fi
if [ "$D_MODEL" != models/default ]; then
  # C (off unless STEPS_C > 0): B's recipe again from B's end at half its peak learning rate; the gate ships it only if
  # it beats B.
  if [ "$STEPS_C" -gt 0 ]; then
    phase $NAME-c $W/docs/train-b --from $B_MODEL \
      --seq 256 --batch 32 --steps $STEPS_C --lr $LR_C --warmup 200 --decay linear \
      --threads $THREADS --held-out 0.003 --eval-every 1000 --checkpoint-every 200
    log "phase C done; the gate:"
    node scripts/model/finalize.mjs $W/$NAME-c --provisional --version 2 || log "phase C's model not shipped"
  fi
  # D: one layer deeper. The grown model starts within about a point of B on every slice (grow-depth.mjs says why); the
  # new layer's residual branches start at zero and learn from B's recipe on the same data.
  [ -f $W/$NAME-d-init/config.json ] || node scripts/model/grow-depth.mjs $B_MODEL $W/$NAME-d-init
  phase $NAME-d $W/docs/train-b --from $W/$NAME-d-init \
    --seq 256 --batch 32 --steps $STEPS_D --lr $LR_D --warmup 200 --decay linear \
    --threads $THREADS --held-out 0.003 --eval-every 1000 --checkpoint-every 200
  if [ "$SHIPPED_RUN" != "$NAME-d" ]; then
    log "phase D done; the gate:"
    node scripts/model/finalize.mjs $W/$NAME-d --provisional --version 2 || log "phase D's model not shipped"
  fi
fi
# E: D's size and balance of kinds (every prose and English document, Austen, 35% of the code), but the code is the
# next 35% by hash, which phases A2, B and D never read (phase A read part of it at sequence 128, long before).
if [ "$E_MODEL" != models/default ]; then
  mixed $W/docs/train-e 0.35:0.7
  phase $NAME-e $W/docs/train-e --from $D_MODEL \
    --seq 256 --batch 32 --steps $STEPS_E --lr $LR_E --warmup 200 --decay linear \
    --threads $THREADS --held-out 0.003 --eval-every 1000 --checkpoint-every 200
  if [ "$SHIPPED_RUN" != "$NAME-e" ]; then
    log "phase E done; the gate:"
    node scripts/model/finalize.mjs $W/$NAME-e --provisional --version 2 || log "phase E's model not shipped"
  fi
fi
# F: E's recipe on the rest of the code (E gained 0.9-1.1 points on every slice from code it had not read; a second
# pass over the same data gained the 3 x 192 model 0.15-0.2).
mixed $W/docs/train-f 0.7:1
phase $NAME-f $W/docs/train-f --from $E_MODEL \
  --seq 256 --batch 32 --steps $STEPS_F --lr $LR_F --warmup 200 --decay linear \
  --threads $THREADS --held-out 0.003 --eval-every 1000 --checkpoint-every 200
log "training done; the gate:"
node scripts/model/finalize.mjs $W/$NAME-f --provisional --version 2
