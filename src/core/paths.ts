// File-system questions asked all over the codebase, answered once.
import { promises as fs } from 'node:fs';
import { ClozeError, errorText, type ClozeErrorCode } from './errors';

/** Whether `p` exists (any kind of entry). */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether `p` exists and is a regular file. */
export async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

/** What a loader is about to read, for its size cap and its messages. */
export interface FileKind {
  /** How the message names it, e.g. "config.json". */
  readonly what: string;
  readonly maxBytes: number;
}

/**
 * Checks that `p` is a regular file no larger than `kind.maxBytes` before anything opens it: a FIFO would block the
 * reader forever, a device (/dev/zero, /dev/urandom) would stream without end. Throws a ClozeError with `code`.
 */
export async function checkReadable(p: string, kind: FileKind, code: ClozeErrorCode): Promise<number> {
  let st;
  try {
    st = await fs.stat(p);
  } catch (e) {
    throw new ClozeError(code, `${kind.what} is missing (${p}).`, errorText(e));
  }
  if (!st.isFile()) {
    throw new ClozeError(code, `${kind.what} at ${p} is not a regular file (a pipe, device or folder); Cloze reads only ordinary files. Replace it with the real file.`);
  }
  if (st.size > kind.maxBytes) {
    throw new ClozeError(code, `${kind.what} at ${p} is ${megabytes(st.size)}, more than the ${megabytes(kind.maxBytes)} such a file can reasonably be; it is probably not the right file.`);
  }
  return st.size;
}

/** Reads a text file after checkReadable, never more than the cap even if it grew in between. */
export async function readCappedText(p: string, kind: FileKind, code: ClozeErrorCode): Promise<string> {
  await checkReadable(p, kind, code);
  const handle = await fs.open(p, 'r');
  try {
    const buf = Buffer.alloc(kind.maxBytes + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = (await handle.read(buf, n, buf.length - n, n)).bytesRead;
    if (n > kind.maxBytes) throw new ClozeError(code, `${kind.what} at ${p} grew beyond ${megabytes(kind.maxBytes)} while being read.`);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await handle.close();
  }
}

function megabytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

/** Makes a rename inside `dir` durable (its entry written to disk); a no-op where folders cannot be fsynced (Windows). */
export async function syncDir(dir: string): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // Some platforms cannot open or fsync a folder; the renames are still atomic there.
  } finally {
    await fh?.close();
  }
}
