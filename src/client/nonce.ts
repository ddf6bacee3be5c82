// The CSP nonce of every Cloze webview: unguessable, from the system's CSPRNG (not Math.random).
import { randomBytes } from 'node:crypto';

export function cspNonce(): string {
  return randomBytes(18).toString('base64');
}
