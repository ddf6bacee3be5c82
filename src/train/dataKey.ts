// What a plan's prepared data depends on, measured without reading the corpus: the key of the data cache (dataCache.ts).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FramingTokenizer } from '../core/tokenizer';
import { walkInputs } from './corpus';
import type { TrainPlan } from './trainOptions';

/**
 * Bump when code changes what a plan's data is: corpus.ts (walk, filters, limits, dedupe), secrets.ts (redaction),
 * core/textKind.ts (what counts as text), split.ts, packer.ts or the dataHash. Caches made by older code then miss.
 */
export const DATA_PIPELINE_VERSION = 1;

/**
 * A file modified this close to the walk could be modified again within the same timestamp tick, with the same size:
 * a key taken now would not see that edit (git's "racily clean" files), so such data is not cached.
 */
const RACY_MS = 2000;

export interface DataKey {
  /** Hex SHA-256 of the settings, the tokenizer and every candidate file's path, size and modification time. */
  readonly key: string;
  /** Candidate files measured. */
  readonly files: number;
  /** A candidate changed in the last seconds (or has a time in the future): data prepared now must not be cached. */
  readonly racy: boolean;
}

/**
 * Keys everything that decides the packed rows of `plan`: the data settings, the tokenizer (its file's contents, the
 * framing ids, the binding's version), what the walk of collectCorpus finds and leaves out, and the size and
 * modification time of each file it would read — stat only, no file is opened.
 */
export async function dataKey(plan: TrainPlan, tok: FramingTokenizer): Promise<DataKey> {
  const started = Date.now();
  const h = createHash('sha256');
  h.update(JSON.stringify({
    pipeline: DATA_PIPELINE_VERSION,
    seq: plan.seq,
    heldOutFraction: plan.heldOutFraction,
    heldOutBy: plan.heldOutBy ?? 'hash',
    inputs: plan.inputs,
    exclude: plan.exclude,
    only: plan.only ?? null,
    maxCorpusBytes: plan.maxCorpusBytes ?? null,
    tokenizer: createHash('sha256').update(await fs.readFile(path.join(tok.dir, 'tokenizer.json'))).digest('hex'),
    framing: [tok.clsId, tok.sepId, tok.padId],
    binding: await bindingVersion(),
  }));
  h.update('\n');
  // collectCorpus reads only the files of the allow-list; the others cannot change the data.
  const only = plan.only && new Set(plan.only.map((p) => path.resolve(p)));
  let files = 0;
  let newest = -Infinity;
  const visit = async (abs: string): Promise<void> => {
    if (only && !only.has(abs)) return;
    files++;
    try {
      const st = await fs.stat(abs, { bigint: true });
      newest = Math.max(newest, Number(st.mtimeMs));
      h.update(`f\0${abs}\0${st.isFile() ? 'file' : 'other'}\0${st.size}\0${st.mtimeNs}\n`);
    } catch (e) {
      h.update(`f\0${abs}\0unreadable\0${(e as NodeJS.ErrnoException).code ?? ''}\n`);
    }
  };
  await walkInputs(plan.inputs, { exclude: plan.exclude }, visit, (s) => h.update(`s\0${s.path}\0${s.reason}\n`));
  return { key: h.digest('hex'), files, racy: newest > started - RACY_MS };
}

/** The `tokenizers` binding's version: another version may split text differently. */
async function bindingVersion(): Promise<string> {
  try {
    const pkg: unknown = JSON.parse(await fs.readFile(path.join(path.dirname(require.resolve('tokenizers')), 'package.json'), 'utf8'));
    return typeof pkg === 'object' && pkg !== null && 'version' in pkg ? String(pkg.version) : 'unknown';
  } catch {
    return 'unknown';
  }
}
