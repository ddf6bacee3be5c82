// Text from a model's files (its name, its vocabulary) reaches hover, completion and status-bar markdown: these helpers
// make it inert — shown as written, never a link, an image, a command or a broken table.

/** Characters markdown (CommonMark + GFM tables) gives a meaning to; each is backslash-escaped in plain text. */
const PUNCTUATION = /[\\`*_{}[\]()#+\-.!|<>~&:"'=$]/g;

/** Line breaks and tabs as visible symbols, so one piece stays on one line (and in its table cell). */
function oneLine(s: string): string {
  return s.replace(/\r\n|\r|\n/g, '⏎').replace(/\t/g, '→').replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, '�');
}

/** Plain text inside markdown: every markdown character escaped, on one line. */
export function mdText(s: string): string {
  return oneLine(s).replace(PUNCTUATION, (c) => `\\${c}`);
}

/**
 * A code span holding `s` exactly (on one line): the fence is one backtick longer than the longest run inside, and a
 * space pads a leading or trailing backtick. `inTable` also escapes `|`, which GFM splits cells on even inside code.
 */
export function mdCode(s: string, inTable = false): string {
  let text = oneLine(s);
  if (inTable) text = text.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text.trim() === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
