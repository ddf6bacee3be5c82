// `cloze fill` as a user runs it: the bundled CLI in a child process, its text and JSON output and its errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, repoRoot } from '../paths';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('cloze fill (CLI)', () => {
  it('prints the fixture README\'s top candidate first', () => {
    const r = run('fill', 'This program is free [MASK].', '--model', fixture('bert-tiny-wordpiece'));
    assert.equal(r.status, 0, r.stderr);
    const first = r.stdout.split('\n').find((l) => l.startsWith('  '));
    assert.match(first ?? '', /^\s+software\s+6\d\.\d\d%/);
  });

  it('--json with several masks: per mask, a list of {score, token, token_str, sequence}, best first (the HF nested form)', () => {
    const text = 'You should have received a [MASK] of the GNU General Public [MASK] along with this program.';
    const r = run('fill', text, '--model', fixture('bert-tiny-wordpiece'), '--json', '--top-k', '4');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { token: number; token_str: string; score: number; sequence: string }[][];
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((l) => l[0].token_str), ['copy', 'license']);
    for (const list of out) {
      assert.equal(list.length, 4);
      assert.deepEqual(Object.keys(list[0]).sort(), ['score', 'sequence', 'token', 'token_str']);
      assert.ok(list.every((x, i) => i === 0 || x.score <= list[i - 1].score));
    }
    // Each sequence fills its own mask and leaves the other one as it was.
    assert.equal(out[0][0].sequence, text.replace('[MASK]', 'copy'));
    assert.equal(out[1][0].sequence, 'You should have received a [MASK] of the GNU General Public license along with this program.');
  });

  it('--json with one mask: the flat list the HF pipeline prints, [{score, token, token_str, sequence}]', () => {
    const r = run('fill', 'This program is free [MASK].', '--model', fixture('bert-tiny-wordpiece'), '--json', '--top-k', '3');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { token: number; token_str: string; score: number; sequence: string }[];
    assert.ok(Array.isArray(out) && !Array.isArray(out[0]), 'not a flat list');
    assert.equal(out.length, 3);
    assert.deepEqual(Object.keys(out[0]).sort(), ['score', 'sequence', 'token', 'token_str']);
    const ref = JSON.parse(readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'reference.json'), 'utf8')) as { cases: { texts: string[]; masks: { top_ids: number[]; top_probs: number[] }[] }[] };
    const c = ref.cases.find((x) => x.texts[0] === 'This program is free [MASK].');
    assert.ok(c, 'reference case');
    assert.deepEqual(out.map((x) => x.token), c.masks[0].top_ids.slice(0, 3));
    assert.ok(Math.abs(out[0].score - c.masks[0].top_probs[0]) < 1e-4);
    assert.equal(out[0].sequence, 'This program is free software.');
  });

  it('[MASK] works for a <mask> model, and token_str keeps the byte-level space', () => {
    const r = run('fill', 'This program is free [MASK].', '--model', fixture('roberta-tiny-bpe'), '--json', '--top-k', '1');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout)[0].token_str, ' software');
  });

  it('--targets free on the bundled byte-level model scores the word " free" (Ġfree), not the bare piece "free"', () => {
    const r = run('fill', 'This program is free [MASK].', '--targets', 'free,software', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { token: number; token_str: string; score: number }[];
    // Both words with their byte-level space, best first (which is first depends on the bundled model).
    assert.deepEqual(out.map((x) => x.token_str).sort(), [' free', ' software']);
    assert.ok(out[0].score >= out[1].score, JSON.stringify(out));
    // The same probabilities as the plain fill gives these pieces (the targets only restrict the list).
    const all = JSON.parse(run('fill', 'This program is free [MASK].', '--json', '--top-k', '1000').stdout) as { token: number; score: number }[];
    for (const x of out) {
      const same = all.find((a) => a.token === x.token);
      assert.ok(same && Math.abs(same.score - x.score) < 1e-9, `${x.token_str}: ${x.score} against ${same?.score}`);
    }
    // The vocabulary's own spelling still picks that exact piece, as the pipeline's vocab lookup does.
    const bare = JSON.parse(run('fill', 'This program is free [MASK].', '--targets', '\u0120free', '--json').stdout) as { token_str: string }[];
    assert.equal(bare[0].token_str, ' free');
  });

  it('--targets with a word of several pieces scores it as a whole word (its pieces listed), shares among the targets', () => {
    const r = run('fill', 'const [state, setState] = [MASK](0);', '--targets', 'useState,set', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { token: number; tokens?: number[]; token_str: string; score: number; sequence: string }[];
    const word = out.find((x) => x.token_str === ' useState');
    assert.ok(word && word.tokens && word.tokens.length === 2, JSON.stringify(out));
    assert.equal(word.sequence, 'const [state, setState] = useState(0);');
    assert.ok(Math.abs(out.reduce((s, x) => s + x.score, 0) - 1) < 1e-9, 'scores are shares of the targets');
  });

  it('--max-pieces 4: whole words of several pieces from one mask, ranked with one-piece words', () => {
    const r = run('fill', 'const [state, setState] = [MASK](0);', '--max-pieces', '4', '--top-k', '5', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { tokens?: number[]; token_str: string; score: number; sequence: string }[];
    const word = out.find((x) => x.token_str === ' setState');
    assert.ok(word?.tokens?.length === 2, JSON.stringify(out.map((x) => x.token_str)));
    assert.equal(word.sequence, 'const [state, setState] = setState(0);');
    assert.ok(Math.abs(out.reduce((s, x) => s + x.score, 0) - 1) < 1e-9, 'scores are shares of the candidates listed');
    const text = run('fill', 'const [state, setState] = [MASK](0);', '--max-pieces', '4');
    assert.match(text.stderr, /share of the candidates listed/);
    assert.match(text.stdout, /^\s+setState\s+\d/m);
  });

  it('--max-pieces outside 1..8 is refused with the allowed range', () => {
    const r = run('fill', 'a [MASK]', '--model', fixture('bert-tiny-wordpiece'), '--max-pieces', '0');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--max-pieces must be a whole number from 1 to 8/);
  });

  it('--joint: consistent combinations for several masks with their joint probability', () => {
    const text = 'You should have received a [MASK] of the GNU General Public [MASK] along with this program.';
    const r = run('fill', text, '--model', fixture('bert-tiny-wordpiece'), '--joint', '--json', '--top-k', '3');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { score: number; token: number[]; token_str: string[]; sequence: string }[];
    assert.equal(out.length, 3);
    assert.deepEqual(out[0].token_str, ['copy', 'license']);
    assert.equal(out[0].sequence, 'You should have received a copy of the GNU General Public license along with this program.');
    assert.ok(out.every((x, i) => x.score > 0 && x.score <= 1 && (i === 0 || x.score <= out[i - 1].score)));
    const one = run('fill', 'This program is free [MASK].', '--model', fixture('bert-tiny-wordpiece'), '--joint');
    assert.equal(one.status, 2);
    assert.match(one.stderr, /--joint needs two or more masks/);
  });

  it('--top-k 100000: refused at once with the allowed range (issue 13 #5)', () => {
    const r = run('fill', `${'[MASK] '.repeat(40)}`, '--model', fixture('bert-tiny-wordpiece'), '--top-k', '100000');
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stderr, /--top-k must be a whole number from 1 to 1000/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
  });

  it('a missing model folder: exit 1 and a plain message', () => {
    const r = run('fill', 'a [MASK]', '--model', '/definitely/not/here');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^cloze: Model folder not found/);
  });

  it('the option table: generated --help, argument errors are usage errors with suggestions, no text is a command-line problem', () => {
    const help = run('fill', '--help');
    assert.equal(help.status, 0);
    for (const flag of ['--model', '--top-k', '--targets', '--max-pieces', '--joint', '--device', '--precision auto\\|fp32\\|int8', '--json', '--version']) assert.match(help.stdout, new RegExp(`${flag}\\b`));
    const device = run('fill', 'a [MASK]', '--device', 'cpux');
    assert.equal(device.status, 1);
    assert.match(device.stderr, /Unknown device cpux \(did you mean cpu\?\)/);
    const precision = run('fill', 'a [MASK]', '--precision', 'int4');
    assert.equal(precision.status, 1);
    assert.match(precision.stderr, /--precision must be auto, fp32 or int8, not "int4"/);
    const typo = run('fill', 'a [MASK]', '--top_k', '3');
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /unknown option --top_k \(did you mean --top-k\?\)/);
    const none = run('fill');
    assert.equal(none.status, 2);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /missing "<text with \[MASK\]>"/);
  });

  it('no mask in the text: exit 2 and how to write one', () => {
    const r = run('fill', 'no mask', '--model', fixture('bert-tiny-wordpiece'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Write \[MASK\]/);
  });
});
