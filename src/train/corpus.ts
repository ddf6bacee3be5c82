// Collects the text files to train on from folders and files, the way git sees them, in an order that never varies.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { pathExists as exists } from '../core/paths';
import { classifyText } from '../core/textKind';
import { isSecretPath, redactSecrets } from './secrets';

/** One file that will be read as training text. */
export interface CorpusFile {
  /** Absolute path. */
  readonly path: string;
  /**
   * Path relative to the input it was found under, with `/` separators (the file name alone for an input
   * that is a file): stable across machines, so the held-out split does not depend on where a checkout lives.
   */
  readonly rel: string;
  readonly text: string;
  readonly bytes: number;
  /** Hex SHA-256 of the content. */
  readonly sha256: string;
}

export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

export interface Corpus {
  readonly files: readonly CorpusFile[];
  readonly skipped: readonly SkippedFile[];
  /** Files whose text had key-like strings replaced (see secrets.ts), with how many; absent when none. */
  readonly redacted?: readonly { readonly path: string; readonly count: number }[];
}

export interface CorpusOptions {
  /** Files larger than this are skipped as huge (default 5 MiB). */
  readonly maxFileBytes?: number;
  /** Extra gitignore-style patterns, matched relative to each input folder. */
  readonly exclude?: readonly string[];
  /** Honour `.gitignore` files in and above the inputs (default true). */
  readonly gitignore?: boolean;
  /** Stop taking files once their text adds up to this many bytes; the rest are skipped (default: no cap). */
  readonly maxCorpusBytes?: number;
  /** Of the files found, read only these (absolute paths): lets an editor apply its own exclusions before any read. */
  readonly only?: readonly string[];
}

const DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024;
/** The cap on a workspace's training text (Train on Workspace): plenty for a run, bounded for the service's memory. */
export const WORKSPACE_CORPUS_BYTES = 200 * 1024 * 1024;

/** Folders that are never source text, whatever .gitignore says; an input may still name one directly. */
const ALWAYS_SKIPPED_DIRS = new Set(['.git', '.hg', '.svn', 'node_modules']);

/** The gitignore rules that apply below one folder. */
interface Rules {
  readonly base: string;
  readonly ig: Ignore;
}

/**
 * Walks the inputs (folders recursively, files as given) and returns every file that reads as text,
 * deduplicated by content, in a deterministic order: inputs in the order given, folder entries sorted by
 * code point. Everything left out is listed in `skipped` with the reason.
 */
export async function collectCorpus(inputs: readonly string[], opts: CorpusOptions = {}): Promise<Corpus> {
  const files: CorpusFile[] = [];
  const skipped: SkippedFile[] = [];
  const redacted: { path: string; count: number }[] = [];
  const seen = new Map<string, string>(); // sha256 -> first path
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxCorpusBytes = opts.maxCorpusBytes ?? Infinity;
  const only = opts.only && new Set(opts.only.map((p) => path.resolve(p)));
  let total = 0;
  let full = false;

  const take = async (abs: string, rel: string): Promise<void> => {
    if (only && !only.has(abs)) {
      skipped.push({ path: abs, reason: 'excluded by the editor (files.exclude / search.exclude)' });
      return;
    }
    if (isSecretPath(rel)) {
      skipped.push({ path: abs, reason: `secrets: ${path.basename(abs)} is a kind of file that holds credentials` });
      return;
    }
    // Size and kind from the file system first: a huge file, a pipe or a device is never opened.
    let size: number;
    try {
      const st = await fs.stat(abs);
      if (!st.isFile()) {
        skipped.push({ path: abs, reason: 'not a regular file (a pipe, device or socket)' });
        return;
      }
      size = st.size;
    } catch (e) {
      skipped.push({ path: abs, reason: `unreadable: ${(e as Error).message}` });
      return;
    }
    if (size === 0) {
      skipped.push({ path: abs, reason: 'empty' });
      return;
    }
    if (size > maxFileBytes) {
      skipped.push({ path: abs, reason: `huge: ${fmtBytes(size)} is over the ${fmtBytes(maxFileBytes)} limit` });
      return;
    }
    if (full || total + size > maxCorpusBytes) {
      // Files come in a fixed order, so the same ones are kept on every run.
      full = true;
      skipped.push({ path: abs, reason: `over the corpus cap: ${fmtBytes(maxCorpusBytes)} of text are enough for a run` });
      return;
    }
    let bytes: Buffer;
    try {
      bytes = await readAtMost(abs, maxFileBytes + 1);
    } catch (e) {
      skipped.push({ path: abs, reason: `unreadable: ${(e as Error).message}` });
      return;
    }
    if (bytes.length === 0) {
      skipped.push({ path: abs, reason: 'empty' });
      return;
    }
    const kind = classifyText(bytes, { path: abs, maxBytes: maxFileBytes });
    if (kind.kind !== 'text') {
      skipped.push({ path: abs, reason: kind.reason });
      return;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const first = seen.get(sha256);
    if (first !== undefined) {
      skipped.push({ path: abs, reason: `duplicate of ${first}` });
      return;
    }
    seen.set(sha256, abs);
    const clean = redactSecrets(bytes.toString('utf8'));
    if (clean.count > 0) redacted.push({ path: abs, count: clean.count });
    total += bytes.length;
    files.push({ path: abs, rel, text: clean.text, bytes: bytes.length, sha256 });
  };

  await walkInputs(inputs, opts, take, (s) => skipped.push(s));
  return { files, skipped, ...(redacted.length > 0 ? { redacted } : {}) };
}

/** What decides which files the walk visits (collectCorpus's other options decide which of them it reads). */
export type WalkOptions = Pick<CorpusOptions, 'exclude' | 'gitignore'>;

/**
 * Visits, in collectCorpus's fixed order, every file the inputs name or hold that git would see (symbolic links,
 * always-skipped and secret folders, .gitignore and `exclude` matches left out), without opening any of them: the
 * prepared-data cache (dataCache.ts) keys on the same walk that collectCorpus reads. What the walk itself leaves
 * out goes to `skip`.
 */
export async function walkInputs(inputs: readonly string[], opts: WalkOptions, visit: (abs: string, rel: string) => Promise<void>, skip: (s: SkippedFile) => void): Promise<void> {
  const useGitignore = opts.gitignore ?? true;
  const walk = async (dir: string, root: string, rules: readonly Rules[]): Promise<void> => {
    let here = rules;
    if (useGitignore) {
      const own = await readGitignore(dir);
      if (own) here = [...rules, { base: dir, ig: own }];
    }
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      skip({ path: dir, reason: `unreadable folder: ${(e as Error).message}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const abs = path.join(dir, ent.name);
      if (ent.isSymbolicLink()) {
        skip({ path: abs, reason: 'symbolic link (not followed)' });
        continue;
      }
      const isDir = ent.isDirectory();
      if (isDir && ALWAYS_SKIPPED_DIRS.has(ent.name)) continue;
      if (!isDir && !ent.isFile()) continue;
      if (isDir && isSecretPath(`${toPosix(path.relative(root, abs))}/`)) {
        skip({ path: abs, reason: `secrets: ${ent.name}/ is a folder that holds credentials` });
        continue;
      }
      if (isIgnored(here, abs, isDir)) {
        skip({ path: abs, reason: 'ignored by .gitignore or --exclude' });
        continue;
      }
      if (isDir) await walk(abs, root, here);
      else await visit(abs, toPosix(path.relative(root, abs)));
    }
  };

  for (const input of inputs) {
    const abs = path.resolve(input);
    let st: import('node:fs').Stats;
    try {
      st = await fs.stat(abs);
    } catch {
      skip({ path: abs, reason: 'does not exist' });
      continue;
    }
    if (st.isFile()) {
      await visit(abs, path.basename(abs));
    } else if (st.isDirectory()) {
      let rules: Rules[] = useGitignore ? await ancestorRules(abs) : [];
      // A folder named explicitly although a parent .gitignore excludes it (a build or data folder) is the user's
      // intent: read it, honouring only the .gitignore files inside it.
      if (isIgnored(rules, abs, true)) rules = [];
      if (opts.exclude && opts.exclude.length > 0) rules.push({ base: abs, ig: ignore().add([...opts.exclude]) });
      await walk(abs, abs, rules);
    } else {
      skip({ path: abs, reason: 'not a file or folder' });
    }
  }
}

/** Reads at most `limit` bytes of a file (it may have grown since it was measured). */
async function readAtMost(file: string, limit: number): Promise<Buffer> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(limit, (await fh.stat()).size + 1));
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = (await fh.read(buf, n, buf.length - n, n)).bytesRead;
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Deeper rule files override shallower ones, as in git: the deepest file with a matching rule decides. */
function isIgnored(rules: readonly Rules[], abs: string, isDir: boolean): boolean {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rel = toPosix(path.relative(rules[i].base, abs));
    if (rel === '' || rel.startsWith('..')) continue;
    const r = rules[i].ig.test(isDir ? `${rel}/` : rel);
    if (r.ignored) return true;
    if (r.unignored) return false;
  }
  return false;
}

/** The .gitignore files between the enclosing repository's root and the input folder (exclusive). */
async function ancestorRules(dir: string): Promise<Rules[]> {
  const chain: string[] = [];
  let cur = path.dirname(dir);
  let repoRoot: string | undefined;
  for (;;) {
    chain.push(cur);
    if (await exists(path.join(cur, '.git'))) {
      repoRoot = cur;
      break;
    }
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  // Outside a repository (or at its root) no ancestor's .gitignore applies.
  if (repoRoot === undefined || (await exists(path.join(dir, '.git')))) return [];
  const rules: Rules[] = [];
  for (const d of chain.reverse()) {
    const ig = await readGitignore(d);
    if (ig) rules.push({ base: d, ig });
  }
  return rules;
}

async function readGitignore(dir: string): Promise<Ignore | undefined> {
  try {
    const text = await fs.readFile(path.join(dir, '.gitignore'), 'utf8');
    return ignore().add(text);
  } catch {
    return undefined;
  }
}


function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
