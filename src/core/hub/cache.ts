// The Hugging Face cache layout (hub/models--org--name/{blobs,snapshots/<sha>,refs/<rev>}), so Python and Cloze share downloads.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isFile } from '../paths';

export function repoFolder(cacheDir: string, repoId: string): string {
  return path.join(cacheDir, `models--${repoId.split('/').join('--')}`);
}

export const isCommitSha = (rev: string): boolean => /^[0-9a-f]{40}$/.test(rev);

/** The commit a cached ref points to (refs/<revision> holds it), or the revision itself when it is a commit. */
export async function cachedCommit(cacheDir: string, repoId: string, revision: string): Promise<string | undefined> {
  if (isCommitSha(revision)) return revision;
  try {
    const sha = (await fs.readFile(path.join(repoFolder(cacheDir, repoId), 'refs', revision), 'utf8')).trim();
    return isCommitSha(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/** Weight files that make a snapshot usable (one is enough). */
const WEIGHTS = ['model.safetensors', 'model.safetensors.index.json', 'model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx'];

/**
 * The snapshot folder of a cached revision that holds config.json and a weight file, else undefined. Files appear in
 * snapshots/ only after their blob is complete and verified, so a present file is a whole file.
 */
export async function cachedSnapshot(cacheDir: string, repoId: string, revision: string): Promise<string | undefined> {
  const sha = await cachedCommit(cacheDir, repoId, revision);
  if (!sha) return undefined;
  const dir = path.join(repoFolder(cacheDir, repoId), 'snapshots', sha);
  if (!(await isFile(path.join(dir, 'config.json')))) return undefined;
  for (const w of WEIGHTS) if (await isFile(path.join(dir, w))) return dir;
  return undefined;
}

/** Points snapshots/<sha>/<file> at its blob (a relative symlink, as huggingface_hub makes; a copy where links fail). */
export async function linkIntoSnapshot(blob: string, target: string): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.symlink(path.relative(path.dirname(target), blob), tmp);
  } catch {
    await fs.copyFile(blob, tmp);
  }
  await fs.rename(tmp, target);
}
