// Resolves a trained-model folder that names its current version in a pointer file, so a re-export never leaves readers without a model.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ClozeError, errorText } from './errors';

/**
 * A model folder written by `cloze train` holds complete versions `v1/`, `v2/`, … and this file naming the current
 * one: `{"current": "v2"}`. The file is replaced by a rename, so at every instant it names a whole version.
 */
export const MODEL_POINTER = 'cloze-current.json';

/** A version folder's name: `v` and a number; nothing else may be named (no separators, no `..`). */
export const VERSION_NAME = /^v([1-9][0-9]{0,8})$/;

const POINTER_MAX_BYTES = 4096;

/**
 * The folder to read a model from: `dir` itself, or the version its pointer file names. A folder without a pointer
 * (any Hugging Face export) is returned unchanged; a pointer that is damaged or names a missing version is an error.
 */
export async function resolveModelDir(dir: string): Promise<string> {
  const abs = path.resolve(dir);
  const pointer = path.join(abs, MODEL_POINTER);
  let st;
  try {
    st = await fs.stat(pointer);
  } catch {
    return abs;
  }
  const damaged = (why: string): ClozeError =>
    new ClozeError('model-corrupt', `The trained model in ${abs} has a damaged ${MODEL_POINTER} (${why}). Export the model again (cloze train --resume in its run folder) or select another model.`);
  if (!st.isFile() || st.size > POINTER_MAX_BYTES) throw damaged('not a small regular file');
  let current: unknown;
  try {
    current = (JSON.parse(await fs.readFile(pointer, 'utf8')) as { current?: unknown }).current;
  } catch (e) {
    throw damaged(errorText(e));
  }
  if (typeof current !== 'string' || !VERSION_NAME.test(current)) throw damaged(`"current" must name a version folder such as "v1"`);
  const target = path.join(abs, current);
  try {
    if ((await fs.stat(target)).isDirectory()) return target;
  } catch {
    // reported below
  }
  throw new ClozeError('model-missing', `The trained model in ${abs} names version ${current}, which is missing. Export the model again or select another model.`);
}
