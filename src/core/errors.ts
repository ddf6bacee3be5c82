// Typed errors that carry a message fit for the user and a code the client can act on.

export type ClozeErrorCode =
  | 'model-missing'
  | 'model-corrupt'
  | 'model-inputs'
  | 'no-mask-token'
  | 'tokenizer'
  | 'mask-mismatch'
  | 'document-skipped'
  | 'inference'
  | 'cancelled'
  | 'checkpoint-missing'
  | 'checkpoint-corrupt'
  | 'training'
  | 'hub-not-found'
  | 'hub-auth'
  | 'network'
  | 'disk-full'
  | 'download-corrupt'
  /** A command-line argument that is missing, unknown or out of range. */
  | 'usage';

export class ClozeError extends Error {
  constructor(
    readonly code: ClozeErrorCode,
    /** What happened and what to do, in words a user can act on. */
    readonly userMessage: string,
    /** Technical detail for the log. */
    readonly detail?: string,
  ) {
    super(detail ? `${userMessage} (${detail})` : userMessage);
    this.name = 'ClozeError';
  }
}

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
