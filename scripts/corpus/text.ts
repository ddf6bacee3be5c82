// Turns one packaged file into a plain-text document: language, gunzip, HTML and man-page rendering, whitespace normalization.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { convert, type HtmlToTextOptions } from 'html-to-text';
import { PROSE_LANGS, type Lang } from './sources';

const run = promisify(execFile);

const BY_EXTENSION: Readonly<Record<string, Lang>> = {
  py: 'python', pyi: 'python',
  ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'typescript',
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript',
  go: 'go', rs: 'rust', java: 'java',
  c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp', hxx: 'cpp', tcc: 'cpp',
  sh: 'shell', bash: 'shell',
  md: 'markdown', markdown: 'markdown', rst: 'rst', pod: 'pod', html: 'html', htm: 'html', txt: 'text',
};

/** The file's language: forced by the source, else by extension (ignoring `.gz`), else by a shebang line. */
export function detectLang(relPath: string, head: string, forced?: Lang): Lang | undefined {
  if (forced) return forced;
  const name = relPath.replace(/\.gz$/, '').split('/').pop() ?? '';
  const dot = name.lastIndexOf('.');
  if (dot > 0) {
    const byExt = BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
    if (byExt) return byExt;
  }
  // `#!/bin/bash`, `#!/usr/bin/env python3`: the interpreter's name after the last slash (and after `env`).
  const shebang = /^#!\s*(?:\S*\/)?(?:env\s+)?(\w+)/.exec(head);
  if (shebang) {
    if (/^(ba|da|k|z)?sh$/.test(shebang[1])) return 'shell';
    if (/^python/.test(shebang[1])) return 'python';
  }
  return undefined;
}

export function isProse(lang: Lang): boolean {
  return PROSE_LANGS.has(lang);
}

/** `.gz`, and dictd's `.dz` (dictzip: gzip with a random-access table in the header). */
export function maybeGunzip(relPath: string, bytes: Buffer): Buffer {
  return /\.(gz|dz)$/.test(relPath) ? gunzipSync(bytes) : bytes;
}

/** The path without its compression suffix. */
export function uncompressedName(relPath: string): string {
  return relPath.replace(/\.(gz|dz)$/, '');
}

/**
 * A dictd database as readable text: drops the `00-database-*` header entries, GCIDE's source tags
 * (`[1913 Webster]`, `[WordNet 1.5]`, `[PJC]`), pronunciation between backslashes, and cross-reference braces.
 */
export function dictToText(text: string): string {
  const out: string[] = [];
  let skipping = false;
  for (const line of text.split('\n')) {
    if (/^00-?database-/.test(line) || /^00databaseinfo|^00-database/.test(line)) {
      skipping = true;
      continue;
    }
    // A headword line (not indented) ends a header entry.
    if (skipping && line.length > 0 && !/^\s/.test(line)) skipping = false;
    if (skipping) continue;
    let l = line.replace(/\s*\[(1913 Webster|Webster 1913 Suppl\.|WordNet 1\.5|PJC|Century Dict\.[^\]]*|RH|Chambers 1881)\]/g, '');
    l = l.replace(/\\[^\\\n]{1,80}\\/g, '').replace(/[{}]/g, '');
    if (line.trim().length > 0 && l.trim().length === 0) continue;
    out.push(l);
  }
  return out.join('\n');
}

/**
 * A WordNet `data.*` file as text: one line per synset, "word, other word: gloss; \"example\"" (the licence
 * header, offsets, pointers and frame numbers dropped; underscores in lemmas become spaces).
 */
export function wordnetToText(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('  ') || !/^\d{8} /.test(line)) continue;
    const bar = line.indexOf(' | ');
    if (bar < 0) continue;
    const f = line.slice(0, bar).split(' ');
    const count = parseInt(f[3], 16);
    const words: string[] = [];
    for (let i = 0; i < count; i++) words.push(f[4 + 2 * i].replace(/\(\w+\)$/, '').replace(/_/g, ' '));
    out.push(`${words.join(', ')}: ${line.slice(bar + 3).trim()}`);
  }
  return out.join('\n');
}

/** Cuts a long text into pieces of about `size` bytes, at blank lines where possible, else at line ends. */
export function chunkText(text: string, size: number): string[] {
  if (Buffer.byteLength(text) <= size) return [text];
  const pieces: string[] = [];
  let cur: string[] = [];
  let curBytes = 0;
  const flush = (): void => {
    const t = cur.join('\n').replace(/^\n+/, '').replace(/\s+$/, '');
    if (t) pieces.push(t);
    cur = [];
    curBytes = 0;
  };
  for (const line of text.split('\n')) {
    const b = Buffer.byteLength(line) + 1;
    // Prefer a blank line past the target; past twice the target, any line end.
    if ((curBytes >= size && line.trim() === '') || curBytes + b > 2 * size) flush();
    cur.push(line);
    curBytes += b;
  }
  flush();
  return pieces;
}

/** Site chrome (navigation, theme pickers, page headers/footers) is not language; the main content is. */
const HTML_OPTIONS: HtmlToTextOptions = {
  wordwrap: false,
  baseElements: { selectors: ['main', 'div#docContent', 'div[role=main]', 'body'] },
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'nav', format: 'skip' },
    { selector: 'div.navheader', format: 'skip' },
    { selector: 'div.navfooter', format: 'skip' },
    { selector: '#menu-bar', format: 'skip' },
    { selector: 'ul.theme-popup', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
};

export function htmlToText(html: string): string {
  return convert(html, HTML_OPTIONS);
}

/** A man page that only points at another (`.so man3/foo.3`): rendering it would duplicate the target. */
export function isManAlias(troff: string): boolean {
  return /^\s*\.so\s/.test(troff) && troff.trim().split('\n').length <= 3;
}

/**
 * Renders a troff man page as the user reads it in a terminal, without hyphenation or justification (both would
 * split and pad words), with overstrike bold/underline removed by col(1).
 */
export async function renderManPage(file: string): Promise<string> {
  const { stdout } = await run('bash', ['-c', 'MANWIDTH=80 man --nh --nj -E UTF-8 -l "$1" 2>/dev/null | col -bx', 'bash', file], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', MAN_KEEP_FORMATTING: '' },
  });
  return stdout;
}

/**
 * One canonical form per document: no BOM, LF line ends, no trailing spaces, at most two blank lines in a row, no
 * form feeds or other control characters (the form feed is the shard delimiter), no blank lines at either end.
 */
export function normalizeText(text: string): string {
  let t = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  // eslint-disable-next-line no-control-regex
  t = t.replace(/[\x00-\x08\x0B-\x1F\x7F]/g, '');
  t = t.replace(/[ \t]+$/gm, '');
  t = t.replace(/\n{4,}/g, '\n\n\n');
  return t.replace(/^\n+/, '').replace(/\s+$/, '');
}

/** Share of letters among the non-space characters: tables of numbers and encoded data score low. */
export function letterShare(text: string): number {
  let letters = 0;
  let visible = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10) continue;
    visible++;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c > 127) letters++;
  }
  return visible === 0 ? 0 : letters / visible;
}
