// Publishes a trained model as a new version folder plus an atomically replaced pointer, so a kill at any instant leaves a loadable model.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MODEL_POINTER, VERSION_NAME } from '../core/modelPointer';
import { syncDir } from '../core/paths';
import { writeFailure } from './diskErrors';

/**
 * Layout of a published model folder `dir` (what the editor's trained-model setting and `--model` name):
 *   dir/cloze-current.json   {"current": "v3"}, replaced by write-temp + rename
 *   dir/v3/                   the current model, a complete Hugging Face folder
 *   dir/v2/                   the one before, kept for a reader that resolved the pointer just before the switch
 * A version is written as `v3.tmp-<pid>/` and renamed into place before the pointer names it.
 */

/** The moments of a publish, in order: a test kills the process at each to prove every one leaves a loadable model. */
export type PublishStep = 'cleaned' | 'written' | 'renamed' | 'pointer-written' | 'pointer-replaced' | 'pruned';

export interface PublishOptions {
  /** Called after each step (fault injection in tests). */
  readonly onStep?: (step: PublishStep) => void | Promise<void>;
}

/** What an export before versioned folders left: a flat model folder, and its `dir.tmp-PID` / `dir.old-PID` siblings. */
const LEGACY_ENTRIES = ['config.json', 'model.onnx', 'model.safetensors', 'onnx', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'vocab.json', 'merges.txt'];

/**
 * Writes a new version of the model in `dir` with `write(folder)` and makes it current. Returns the version folder.
 * Stale temporaries of killed writers (this scheme's and the old rename-swap's) are removed first.
 */
export async function publishModel(dir: string, write: (folder: string) => Promise<void>, opts: PublishOptions = {}): Promise<string> {
  const abs = path.resolve(dir);
  const step = async (s: PublishStep): Promise<void> => {
    await opts.onStep?.(s);
  };
  let tmp: string | undefined;
  try {
    await recoverLegacySwap(abs);
    await fs.mkdir(abs, { recursive: true });
    await removeStaleTemps(abs);
    await step('cleaned');

    const previous = await currentVersion(abs);
    const names = await fs.readdir(abs);
    const n = 1 + Math.max(0, ...names.map((x) => Number(VERSION_NAME.exec(x)?.[1] ?? 0)));
    const name = `v${n}`;
    tmp = path.join(abs, `${name}.tmp-${process.pid}`);
    await fs.rm(tmp, { recursive: true, force: true });
    await write(tmp);
    await syncTree(tmp);
    await step('written');
    await fs.rename(tmp, path.join(abs, name));
    tmp = undefined;
    await syncDir(abs);
    await step('renamed');

    const pointer = path.join(abs, MODEL_POINTER);
    const pointerTmp = `${pointer}.tmp-${process.pid}`;
    tmp = pointerTmp;
    const fh = await fs.open(pointerTmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ current: name }) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await step('pointer-written');
    await fs.rename(pointerTmp, pointer);
    tmp = undefined;
    await syncDir(abs);
    await step('pointer-replaced');

    await prune(abs, new Set([name, ...(previous ? [previous] : [])]));
    await step('pruned');
    return path.join(abs, name);
  } catch (e) {
    if (tmp) await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw writeFailure(e, 'trained model', abs, 'the checkpoint and the previous model are');
  }
}

/**
 * Removes what killed exports left in and beside `dir` (at the start of a run, before any export): temporaries of
 * writers that are gone, and the old rename-swap's `dir.tmp-PID` / `dir.old-PID` (putting the old model back first
 * when the kill left no `dir`).
 */
export async function cleanStaleExports(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  await recoverLegacySwap(abs);
  if (await exists(abs)) await removeStaleTemps(abs);
}

/** cleanStaleExports for the model folder `name` of every run folder in `root` (the editor keeps one per run). */
export async function cleanStaleExportsIn(root: string, name: string): Promise<void> {
  let runs: import('node:fs').Dirent[];
  try {
    runs = await fs.readdir(root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const r of runs) if (r.isDirectory()) await cleanStaleExports(path.join(root, r.name, name)).catch(() => undefined);
}

/** The version the pointer names now, if it is readable. */
async function currentVersion(dir: string): Promise<string | undefined> {
  try {
    const current = (JSON.parse(await fs.readFile(path.join(dir, MODEL_POINTER), 'utf8')) as { current?: unknown }).current;
    return typeof current === 'string' && VERSION_NAME.test(current) ? current : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The old export renamed `dir` to `dir.old-PID` and `dir.tmp-PID` to `dir`; a kill in between left no `dir`. Put the
 * old model back if that happened, then delete what dead writers left.
 */
async function recoverLegacySwap(dir: string): Promise<void> {
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  let names: string[];
  try {
    names = await fs.readdir(parent);
  } catch {
    return;
  }
  const stale = names.filter((n) => (n.startsWith(`${base}.tmp-`) || n.startsWith(`${base}.old-`)) && !isOtherLiveWriter(n.slice(base.length + 5)));
  if (!(await exists(dir))) {
    const old = stale.find((n) => n.startsWith(`${base}.old-`));
    if (old) await fs.rename(path.join(parent, old), dir);
  }
  for (const n of stale) await fs.rm(path.join(parent, n), { recursive: true, force: true });
}

/** Version and pointer temporaries inside `dir` whose writer is gone (or is this process, from an earlier failure). */
async function removeStaleTemps(dir: string): Promise<void> {
  for (const n of await fs.readdir(dir)) {
    const m = /^(?:v[0-9]+|cloze-current\.json)\.tmp-(.*)$/.exec(n);
    if (m && !isOtherLiveWriter(m[1])) await fs.rm(path.join(dir, n), { recursive: true, force: true });
  }
}

/** Removes versions not in `keep`, a flat model left by the old export, and tool temporaries. */
async function prune(dir: string, keep: ReadonlySet<string>): Promise<void> {
  for (const n of await fs.readdir(dir)) {
    if (keep.has(n) || n === MODEL_POINTER) continue;
    if (VERSION_NAME.test(n) || LEGACY_ENTRIES.includes(n) || (/\.tmp-[0-9]+$/.test(n) && !isOtherLiveWriter(n.replace(/^.*\.tmp-/, '')))) {
      await fs.rm(path.join(dir, n), { recursive: true, force: true });
    }
  }
}

/** Whether a temporary's PID suffix belongs to another process that is still running (its file is in use). */
function isOtherLiveWriter(suffix: string): boolean {
  const pid = Number(suffix.split('-')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(() => true, () => false);
}

/** Flushes every file of a freshly written folder, so a power cut after the pointer switch cannot leave it empty. */
async function syncTree(dir: string): Promise<void> {
  for (const ent of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) await syncTree(p);
    else if (ent.isFile()) {
      const fh = await fs.open(p, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }
  await syncDir(dir);
}
