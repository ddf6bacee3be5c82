// Decides whether a file's content is worth reading as language (for training and for completions), with a reason a person can read.

/** What a file looks like: only `text` is worth training on or completing in. */
export type TextKindName = 'text' | 'binary' | 'minified' | 'generated' | 'huge';

export interface TextKind {
  readonly kind: TextKindName;
  /** Why, in words fit for a log line or a status message, e.g. "minified: longest line 52,311 characters". */
  readonly reason: string;
}

export interface TextKindOptions {
  /** File name or path, for lockfile names and extensions such as `.min.js`; optional. */
  readonly path?: string;
  /** Content larger than this many bytes is `huge` (default 5 MiB). */
  readonly maxBytes?: number;
  /** Lines longer than this count as machine-made when they dominate the file (default 1000 characters). */
  readonly longLine?: number;
}

const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
const DEFAULT_LONG_LINE = 1000;
/** Only the head is inspected for binary bytes and generated markers: enough to decide, cheap on big files. */
const SNIFF_BYTES = 64 * 1024;
const GENERATED_SNIFF_LINES = 20;

/** Files whose name alone says a tool wrote them. */
const LOCKFILES = new Set([
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'cargo.lock', 'gemfile.lock',
  'composer.lock', 'poetry.lock', 'pipfile.lock', 'go.sum', 'flake.lock', 'packages.lock.json', 'mix.lock', 'pubspec.lock',
  'podfile.lock', 'uv.lock', 'deno.lock',
]);

/** Markers that code generators put near the top of their output. */
const GENERATED_MARKERS: readonly RegExp[] = [
  /@generated\b/,
  /\bDO NOT EDIT\b/i,
  /\bauto-?generated\b.*\b(do not|don't) (edit|modify)\b/i,
  /\bThis file (is|was) (automatically )?generated\b/i,
];

const MINIFIED_NAME = /\.min\.(js|mjs|cjs|css)$/i;

/**
 * Classifies content. Bytes (from disk) are checked for NUL bytes and invalid UTF-8; a string (an editor
 * document) can only be text-shaped, so only the size, minified and generated checks apply to it.
 */
export function classifyText(content: Uint8Array | string, opts: TextKindOptions = {}): TextKind {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const longLine = opts.longLine ?? DEFAULT_LONG_LINE;
  const name = baseName(opts.path ?? '').toLowerCase();
  const size = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.length;

  if (size > maxBytes) return { kind: 'huge', reason: `huge: ${fmtBytes(size)} is over the ${fmtBytes(maxBytes)} limit` };

  let text: string;
  if (typeof content === 'string') {
    text = content;
  } else {
    const binary = binaryReason(content);
    if (binary) return { kind: 'binary', reason: binary };
    text = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8');
  }

  if (LOCKFILES.has(name)) return { kind: 'generated', reason: `generated: ${name} is a lockfile` };
  const head = firstLines(text, GENERATED_SNIFF_LINES);
  for (const marker of GENERATED_MARKERS) {
    const m = marker.exec(head);
    if (m) return { kind: 'generated', reason: `generated: marker "${m[0].trim().slice(0, 40)}" near the top` };
  }

  if (MINIFIED_NAME.test(name)) return { kind: 'minified', reason: `minified: the name ${name} says so` };
  const minified = minifiedReason(text, longLine);
  if (minified) return { kind: 'minified', reason: minified };

  return { kind: 'text', reason: 'text' };
}

/** NUL bytes or a high share of invalid UTF-8 in the head mean the bytes are not text. */
function binaryReason(bytes: Uint8Array): string | undefined {
  const head = bytes.subarray(0, SNIFF_BYTES);
  if (head.length === 0) return undefined;
  const nul = head.indexOf(0);
  if (nul >= 0) return `binary: NUL byte at offset ${nul}`;
  const bad = invalidUtf8Count(head, head.length < bytes.length);
  // A few stray bytes (a Latin-1 name in a comment) still read fine; a tenth of the head does not.
  if (bad / head.length > 0.1) return `binary: ${((100 * bad) / head.length).toFixed(0)}% of the first ${fmtBytes(head.length)} is not valid UTF-8`;
  return undefined;
}

/** Counts bytes that are not part of a well-formed UTF-8 sequence; a sequence cut by the sniff window is not counted. */
function invalidUtf8Count(b: Uint8Array, truncated: boolean): number {
  let bad = 0;
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let need: number;
    if (c < 0x80) { i++; continue; }
    else if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) need = 2;
    else if (c >= 0xf0 && c <= 0xf4) need = 3;
    else { bad++; i++; continue; }
    if (i + need >= b.length && truncated) break;
    let ok = i + need < b.length;
    for (let k = 1; ok && k <= need; k++) ok = (b[i + k] & 0xc0) === 0x80;
    if (ok) i += need + 1;
    else { bad++; i++; }
  }
  return bad;
}

/**
 * Minified code has a few enormous lines and little whitespace. Long lines alone are not enough
 * (prose paragraphs, data tables), so the whitespace share must also be low.
 */
function minifiedReason(text: string, longLine: number): string | undefined {
  if (text.length < 2 * longLine) return undefined;
  let longest = 0;
  let inLong = 0;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    const len = end - start;
    if (len > longest) longest = len;
    if (len > longLine) inLong += len;
    if (nl < 0) break;
    start = nl + 1;
  }
  if (inLong < text.length / 2) return undefined;
  let ws = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) ws++;
  }
  const wsShare = ws / text.length;
  // Ordinary code and prose are 15–30% whitespace; minifiers leave a few percent.
  if (wsShare >= 0.08) return undefined;
  return `minified: longest line ${longest.toLocaleString('en-US')} characters, ${(100 * wsShare).toFixed(1)}% whitespace`;
}

function firstLines(text: string, n: number): string {
  let idx = 0;
  for (let i = 0; i < n; i++) {
    const nl = text.indexOf('\n', idx);
    if (nl < 0) return text.slice(0, Math.min(text.length, SNIFF_BYTES));
    idx = nl + 1;
  }
  return text.slice(0, Math.min(idx, SNIFF_BYTES));
}

function baseName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
