// Section 2 of a run: the corpus collected, split, packed into rows and fingerprinted; the fixed held-out batches.
import { ClozeError, errorText } from '../core/errors';
import type { FramingTokenizer } from '../core/tokenizer';
import type { Batch } from './batch';
import type { MaskingCollator } from './collator';
import { collectCorpus, type Corpus } from './corpus';
import { dataHashOf, loadDataCache, saveDataCache, type CachedData } from './dataCache';
import { dataKey, type DataKey } from './dataKey';
import { EVAL_SEED } from './metrics';
import { packDocuments, type PackedSequences } from './packer';
import { Rng } from './rng';
import { splitFiles } from './split';
import type { TrainPlan } from './trainOptions';

export interface Data {
  readonly train: PackedSequences;
  readonly heldOut: PackedSequences;
  readonly trainFiles: number;
  readonly heldOutFiles: number;
  readonly dataHash: string;
}

/** The corpus under `inputs`, narrowed to the `only` allow-list when one is given. */
export async function gatherCorpus(inputs: readonly string[], exclude?: readonly string[], only?: readonly string[], maxCorpusBytes?: number): Promise<Corpus> {
  // The allow-list is applied before any file is read, so excluded files neither cost time nor count toward the cap.
  return collectCorpus(inputs, { exclude, only, maxCorpusBytes });
}

/**
 * Collects, splits and packs the corpus of a plan, and fingerprints the training rows. With `runDir`, the result is
 * cached there (dataCache.ts) under a key of the settings, the tokenizer and every file's size and time (dataKey.ts):
 * a resume or restart whose key matches loads the rows instead, with the same dataHash.
 */
export async function prepareData(plan: TrainPlan, tok: FramingTokenizer, log: (m: string) => void, runDir?: string): Promise<Data> {
  if (runDir === undefined) return (await buildData(plan, tok, log)).data;
  let key: DataKey | undefined;
  try {
    key = await dataKey(plan, tok);
  } catch (e) {
    log(`warning: cannot check the prepared data (${errorText(e)}); reading the corpus`);
  }
  const hit = key && (await loadDataCache(runDir, key.key, log));
  if (key && hit) {
    log(`${summary(hit.data, hit.skipped)} — prepared data of ${key.files.toLocaleString('en-US')} unchanged files, none read again`);
    return hit.data;
  }
  const built = await buildData(plan, tok, log);
  if (key?.racy) log('not caching the prepared data: some files changed in the last seconds and may still be changing');
  else if (key) await saveDataCache(runDir, key.key, built, log);
  return built.data;
}

/** The corpus read, split, tokenized and packed (the corpus's texts are dropped on return, before any caching). */
async function buildData(plan: TrainPlan, tok: FramingTokenizer, log: (m: string) => void): Promise<CachedData> {
  const corpus = await gatherCorpus(plan.inputs, plan.exclude, plan.only, plan.maxCorpusBytes);
  if (corpus.files.length === 0) {
    const why = corpus.skipped.slice(0, 5).map((s) => `${s.path}: ${s.reason}`).join('; ');
    throw new ClozeError('training', `No text files to train on in ${plan.inputs.join(', ')}${why ? ` (skipped: ${why})` : ''}. Point cloze train at folders of source code or prose.`);
  }
  const split = splitFiles(corpus.files, { heldOutFraction: plan.heldOutFraction, by: plan.heldOutBy ?? 'hash' });
  if (split.heldOut.length === 0) throw new ClozeError('training', 'Training needs at least two text files: one is held out to measure progress.');
  const train = await packDocuments(tok, split.train.map((f) => f.text), plan.seq);
  const heldOut = await packDocuments(tok, split.heldOut.map((f) => f.text), plan.seq);
  if (train.count === 0 || heldOut.count === 0) throw new ClozeError('training', 'The training or held-out files tokenize to nothing; add more text.');
  const data: Data = { train, heldOut, trainFiles: split.train.length, heldOutFiles: split.heldOut.length, dataHash: dataHashOf(train) };
  log(summary(data, corpus.skipped.length));
  return { data, skipped: corpus.skipped.length };
}

function summary(d: Data, skipped: number): string {
  const { train, heldOut } = d;
  return `${d.trainFiles} training files (${train.tokens.toLocaleString('en-US')} tokens, ${train.count} rows of ${train.seq}), ${d.heldOutFiles} held out (${heldOut.tokens.toLocaleString('en-US')} tokens); ${skipped} skipped`;
}

/**
 * The held-out batches, masked once with the fixed evaluation seed: rows in order, full batches only (a corpus
 * with fewer rows than a batch repeats rows).
 */
export function heldOutBatches(data: PackedSequences, collator: MaskingCollator, batch: number, maxBatches: number): Batch[] {
  const rng = Rng.fromSeed(EVAL_SEED);
  const n = Math.max(1, Math.min(maxBatches, Math.floor(data.count / batch)));
  const out: Batch[] = [];
  for (let i = 0; i < n; i++) out.push(collator.collate(data, Array.from({ length: batch }, (_, j) => (i * batch + j) % data.count), rng));
  return out;
}
