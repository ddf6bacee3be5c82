// Hostile document contents (binary, minified, huge lines, many masks) that the extension must survive.
import * as crypto from 'crypto';

const WORDS = ['the', 'program', 'is', 'free', 'software', 'and', 'you', 'can', 'redistribute', 'it', 'under', 'terms'];

/** Deterministic pseudo-random words, so a failure reproduces. */
function words(count: number, seed = 7): string[] {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out.push(WORDS[x % WORDS.length]);
  }
  return out;
}

/** Bytes of a binary file (NULs, control and invalid UTF-8 bytes) with a `[MASK]` inside. */
export function binaryBytes(): Buffer {
  const noise = crypto.createHash('sha512');
  const chunks: Buffer[] = [];
  for (let i = 0; i < 256; i++) chunks.push(noise.update(String(i)).copy().digest());
  const body = Buffer.concat(chunks);
  const elfHeader = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // NULs up front, as in real binaries
  return Buffer.concat([elfHeader, body.subarray(0, 8000), Buffer.from(' This program is free [MASK]. '), body.subarray(8000)]);
}

/** One line of minified JavaScript (about 200 KB) with a `[MASK]` in the middle. */
export function minifiedJs(): string {
  const parts: string[] = [];
  for (let i = 0; i < 4000; i++) parts.push(`function f${i}(a,b){return a${i % 2 ? '+' : '*'}b}var v${i}=f${i}(${i},2);`);
  parts.splice(2000, 0, 'var msg="This program is free [MASK].";');
  return parts.join('');
}

/** A single line of about 1 MB of prose with one `[MASK]` in the middle. */
export function megabyteLine(): { text: string; maskOffset: number } {
  const half = words(60_000).join(' ');
  const text = `${half} This program is free [MASK]. ${half}`;
  return { text, maskOffset: text.indexOf('[MASK]') };
}

/** One line with 100 masks between words. */
export function hundredMasks(): string {
  return words(100, 3).map((w) => `${w} [MASK]`).join(' ') + '.';
}
