// Byte-level BPE (GPT-2, RoBERTa) spells each byte as one visible character; this maps pieces back to their bytes, so
// a piece holding only part of a UTF-8 character (which would decode to U+FFFD) is never offered as a fill.

/** The byte behind each character of the byte-level alphabet (the inverse of GPT-2's bytes_to_unicode table). */
const BYTE_OF: ReadonlyMap<string, number> = (() => {
  const visible = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let next = 256;
  for (let b = 0; b < 256; b++) map.set(String.fromCodePoint(visible(b) ? b : next++), b);
  return map;
})();

/** The bytes a byte-level piece stands for; undefined when it holds a character outside the alphabet. */
export function pieceBytes(piece: string): Uint8Array | undefined {
  const out: number[] = [];
  for (const ch of piece) {
    const b = BYTE_OF.get(ch);
    if (b === undefined) return undefined;
    out.push(b);
  }
  return Uint8Array.from(out);
}

const strict = new TextDecoder('utf-8', { fatal: true });

/** Whether a byte-level piece is a fragment: bytes that are not whole UTF-8 characters on their own. */
export function isByteFragment(piece: string): boolean {
  const bytes = pieceBytes(piece);
  if (!bytes) return false;
  try {
    strict.decode(bytes);
    return false;
  } catch {
    return true;
  }
}

/** SentencePiece's byte fallback pieces (`<0xE3>`): one raw byte each, never a character by itself. */
export const BYTE_FALLBACK = /^<0x[0-9A-Fa-f]{2}>$/;
