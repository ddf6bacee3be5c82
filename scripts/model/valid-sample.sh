#!/usr/bin/env bash
# The held-out samples the sweep and the card score whole words on: each held-out slice's first documents in file-name
# order, up to 1.5 MB (.model-work/docs/valid-sample/KIND), so an evaluation does not tokenize a whole slice to use a
# part of it. Made once; a sample already there is kept.
# usage: scripts/model/valid-sample.sh   (from anywhere; after scripts/model/prepare.mjs made .model-work/docs/valid)
set -euo pipefail
cd "$(dirname "$0")/../.."
W=.model-work
for kind in code prose english; do
  d=$W/docs/valid/$kind s=$W/docs/valid-sample/$kind
  [ -d "$d" ] && [ ! -d "$s" ] || continue
  rm -rf "$s.tmp" && mkdir -p "$s.tmp"; n=0
  for f in $(ls "$d" | sort); do
    [ $n -ge 1500000 ] && break
    cp "$d/$f" "$s.tmp/"; n=$(( n + $(stat -c %s "$d/$f") ))
  done
  mv "$s.tmp" "$s"
done
