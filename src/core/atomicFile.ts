// One way to replace a file so that a reader (another process, a crash) never sees it half-written.
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Writes `data` to `file` through a temporary file beside it and a rename; the folder is created if needed. */
export async function writeAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, file);
  } catch (e) {
    // A full disk must not leave the temporary file behind.
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
