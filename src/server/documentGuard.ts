// Decides whether a document is fit for predictions, and tells the user once per document when it is not.
import { classifyText } from '../core/textKind';
import type { Notice } from '../protocol';

/** Beyond this, a line is far longer than any context window, and the user should know only part of it is read. */
const LONG_LINE = 20000;

function longestLine(text: string): number {
  let best = 0;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', start)) {
    best = Math.max(best, i - start);
    start = i + 1;
  }
  return Math.max(best, text.length - start);
}

export type Verdict = { readonly ok: true; readonly note?: string } | { readonly ok: false; readonly reason: string };

/** What an editor shows for a binary file: NUL characters or many replacement characters. */
function looksBinary(text: string): boolean {
  const head = text.length > 65536 ? text.slice(0, 65536) : text;
  if (head.includes('\u0000')) return true;
  let bad = 0;
  for (let i = 0; i < head.length; i++) if (head.charCodeAt(i) === 0xfffd) bad++;
  return head.length > 0 && bad / head.length > 0.05;
}

export class DocumentGuard {
  private readonly told = new Map<string, string>();

  constructor(private readonly notify: (n: Notice) => void) {}

  check(uri: string, text: string, maxFileSizeMB: number): Verdict {
    const name = decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1)) || uri;
    let verdict: Verdict;
    if (looksBinary(text)) {
      verdict = { ok: false, reason: `Cloze skips ${name}: it looks like a binary file (NUL or undecodable bytes), so a language model has nothing to read there.` };
    } else {
      const kind = classifyText(text, { path: uri, maxBytes: maxFileSizeMB * 1024 * 1024 });
      if (kind.kind === 'huge') {
        verdict = { ok: false, reason: `Cloze skips ${name}: ${kind.reason}. Raise "cloze.maxFileSizeMB" to include it.` };
      } else if (kind.kind === 'minified') {
        verdict = { ok: true, note: `${name} looks minified (${kind.reason}); Cloze still fills masks there, reading only the text around each mask.` };
      } else {
        const longest = longestLine(text);
        verdict = longest > LONG_LINE
          ? { ok: true, note: `${name} has a line of ${longest.toLocaleString('en-US')} characters; Cloze fills masks there from the text around each mask only (the "cloze.contextTokens" window).` }
          : { ok: true };
      }
    }
    const message = verdict.ok ? verdict.note : verdict.reason;
    if (message && this.told.get(uri) !== message) {
      this.told.set(uri, message);
      this.notify({ severity: verdict.ok ? 'info' : 'warning', message });
    }
    if (!message) this.told.delete(uri);
    return verdict;
  }

  /** A crowded window is legal but its predictions are weak: say so once per document. */
  crowded(uri: string, masks: number): void {
    const message = `This line has ${masks} masks; each is predicted from text that is mostly other masks, so expect weak suggestions. Fill a few at a time for better ones.`;
    const key = `${uri}#crowded`;
    if (this.told.get(key) === message) return;
    this.told.set(key, message);
    this.notify({ severity: 'info', message });
  }

  forget(uri: string): void {
    this.told.delete(uri);
    this.told.delete(`${uri}#crowded`);
  }
}
