// File-system questions asked all over the codebase, answered once.
import { promises as fs } from 'node:fs';

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
