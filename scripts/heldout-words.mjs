// Words of the bundled model's held-out samples (test/fixtures/default-eval: code, prose, English) at evenly spaced
// places, for the measurement scripts that mask one word at a time (whole-word-lengths.mjs, open-line-end.mjs).
import fs from 'node:fs';
import path from 'node:path';

const WORD = /(?<![\w$])[A-Za-z_][A-Za-z0-9_]{1,}(?![\w$])/g;

/**
 * Yields { kind, text, match } for `perFile` words per file of the first `files` files of each kind, skipping the first
 * `minOffset` characters (so every word has context before it) and files that already hold a mask token.
 */
export function* heldOutWords(root, { perFile, files, minOffset }) {
  for (const kind of ['code', 'prose', 'english']) {
    const dir = path.join(root, 'test/fixtures/default-eval', kind);
    for (const f of fs.readdirSync(dir).sort().slice(0, files)) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      if (/\[MASK\]|<mask>/.test(text)) continue;
      const found = [...text.matchAll(WORD)].filter((m) => m.index > minOffset);
      const step = Math.max(1, Math.floor(found.length / perFile));
      for (let i = Math.floor(step / 2); i < found.length && i < perFile * step; i += step) yield { kind, text, match: found[i] };
    }
  }
}
