// Turns a failed write of a checkpoint or model (disk full, read-only, no permission) into a ClozeError a user can act on.
import { ClozeError, errorText } from '../core/errors';

/**
 * The error to throw when writing `what` into `where` failed with `e`: file-system errors (those with an errno code)
 * become a ClozeError saying what to do and that `kept` is intact; anything else (a bug) is returned unchanged.
 */
export function writeFailure(e: unknown, what: string, where: string, kept: string): unknown {
  if (e instanceof ClozeError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return e;
  const detail = errorText(e);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new ClozeError('training', `The disk is full: the ${what} could not be written to ${where}. Free some space or choose another folder, then run again; ${kept} intact.`, detail);
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ClozeError('training', `The ${what} could not be written to ${where}: the folder is not writable (${code}). Choose a folder you can write to; ${kept} intact.`, detail);
  }
  return new ClozeError('training', `The ${what} could not be written to ${where} (${code}). ${kept.charAt(0).toUpperCase()}${kept.slice(1)} intact.`, detail);
}
