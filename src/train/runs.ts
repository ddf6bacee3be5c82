// Which run in a folder of runs was cut off before it finished, and what a run folder records about how it began.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readJsonObjectIfValid } from '../core/jsonFile';
import { pathExists } from '../core/paths';
import { removeDataCache } from './dataCache';
import { CHECKPOINT_FILE, MODEL_DIR, RUN_FILE, SUMMARY_FILE } from './runLayout';
import type { TrainResult } from './trainOptions';

export type RunMode = 'continue' | 'fresh';

/** A run that stopped or was cut off with a checkpoint to continue from. */
export interface UnfinishedRun {
  readonly dir: string;
  /** The step its summary records (absent when the run was killed before writing one). */
  readonly step?: number;
  readonly mode: RunMode;
}

/** Records how a new run in `dir` began, so a resume continues it the same way. */
export async function markRun(dir: string, mode: RunMode): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, RUN_FILE), JSON.stringify({ mode }));
}

/** Keeps the run's files but never offers it for resuming again; its prepared data (only a resume reads it) goes. */
export async function discardRun(dir: string): Promise<void> {
  const meta = (await readJsonObjectIfValid(path.join(dir, RUN_FILE))) ?? { mode: 'continue' };
  await fs.writeFile(path.join(dir, RUN_FILE), JSON.stringify({ ...meta, discarded: true }));
  await removeDataCache(dir);
}

/**
 * Removes the prepared data of a run that has stopped for good: one that is done, or an editor run (it has a run file)
 * out of time, which findUnfinishedRun never offers. A `cloze train --minutes` run out of time keeps it for `--resume`.
 */
export async function releaseFinishedRunData(dir: string, stopped: TrainResult['stopped']): Promise<void> {
  const editorRun = await pathExists(path.join(dir, RUN_FILE));
  if (stopped === 'done' || (stopped === 'time' && editorRun)) await removeDataCache(dir);
}

/**
 * The newest run under `runsDir` (run folders sort by name, oldest first) if it was stopped or cut off before it
 * finished: it has a checkpoint and no summary, or a summary of a cancelled run. Discarded runs are passed over; when
 * the newest other run finished there is nothing to resume.
 */
export async function findUnfinishedRun(runsDir: string): Promise<UnfinishedRun | undefined> {
  let names: string[];
  try {
    names = (await fs.readdir(runsDir)).sort().reverse();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const dir = path.join(runsDir, name);
    const meta = await readJsonObjectIfValid(path.join(dir, RUN_FILE));
    if (!meta || meta.discarded) continue;
    const mode: RunMode = meta.mode === 'fresh' ? 'fresh' : 'continue';
    const summary = await readJsonObjectIfValid(path.join(dir, SUMMARY_FILE));
    const hasCheckpoint = await pathExists(path.join(dir, CHECKPOINT_FILE));
    if (hasCheckpoint && (!summary || summary.stopped === 'cancelled')) {
      return { dir, mode, ...(typeof summary?.step === 'number' ? { step: summary.step } : {}) };
    }
    return undefined;
  }
  return undefined;
}

/**
 * The model to load for a folder the user named: a `cloze train --out` run folder means the model exported in it
 * (`<run>/model`); any other folder is itself.
 */
export async function modelOfRunFolder(dir: string): Promise<string> {
  const exported = path.join(dir, MODEL_DIR);
  const isRun = await pathExists(path.join(dir, CHECKPOINT_FILE));
  const hasConfig = await pathExists(path.join(dir, 'config.json'));
  if (isRun && !hasConfig && (await fs.stat(exported).then((s) => s.isDirectory(), () => false))) return exported;
  return dir;
}
