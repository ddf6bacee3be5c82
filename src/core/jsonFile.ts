// The one reader for the small JSON files of a model folder or run folder: capped in size, an object or a typed error.
import path from 'node:path';
import { ClozeError, errorText, type ClozeErrorCode } from './errors';
import { pathExists, readCappedText } from './paths';

/** Far above any config, record or pointer file of the kind, far below what hurts the reader. */
export const JSON_CONFIG_BYTES = 4 * 1024 * 1024;

export interface JsonFileOptions {
  /** The code of the error for a file that is there but not a JSON object. */
  readonly code: ClozeErrorCode;
  /** The user message for that case (the parse error goes into the detail). */
  readonly invalid: string;
  readonly maxBytes?: number;
}

/** `file` as a JSON object; undefined when it does not exist. */
export async function readJsonObject(file: string, opts: JsonFileOptions): Promise<Record<string, unknown> | undefined> {
  if (!(await pathExists(file))) return undefined;
  const text = await readCappedText(file, { what: path.basename(file), maxBytes: opts.maxBytes ?? JSON_CONFIG_BYTES }, opts.code);
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ClozeError(opts.code, opts.invalid, `${file}: ${errorText(e)}`);
  }
}

/** Like readJsonObject, but a missing or unreadable file is simply absent (state files a crash may have left half-written). */
export async function readJsonObjectIfValid(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await readJsonObject(file, { code: 'model-corrupt', invalid: '' });
  } catch {
    return undefined;
  }
}
