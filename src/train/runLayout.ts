// The files of a run folder (`cloze train --out`, a workspace's training run): private to src/train.

/** The checkpoint a resume continues from, written atomically (checkpoint.ts). */
export const CHECKPOINT_FILE = 'checkpoint.bin';
/** The exported model: versions and a pointer (exportPointer.ts), what `--model <run>/model` and the editor load. */
export const MODEL_DIR = 'model';
/** One JSON line per progress report and evaluation. */
export const LOG_FILE = 'train-log.jsonl';
/** Written when a run stops (done, out of time or cancelled): the result, plan and config. */
export const SUMMARY_FILE = 'summary.json';
/** The run's own byte-level BPE tokenizer (`--vocab`). */
export const TOKENIZER_DIR = 'tokenizer';
/** How the run began (`{"mode": "continue" | "fresh"}`), and whether the user discarded it (runs.ts). */
export const RUN_FILE = 'cloze-run.json';
/** The corpus as packed rows (dataCache.ts): lets a resume skip re-reading and re-tokenizing; rebuilt when stale or damaged. */
export const DATA_CACHE_FILE = 'prepared-data.bin';
