// `cloze fill` as a user runs it: the bundled CLI in a child process, its text and JSON output and its errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

  it('--json: per mask, a list of {token, token_str, score}, best first, like the HF pipeline', () => {
    const r = run('fill', 'You should have received a [MASK] of the GNU General Public [MASK] along with this program.', '--model', fixture('bert-tiny-wordpiece'), '--json', '--top-k', '4');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { token: number; token_str: string; score: number }[][];
    assert.equal(out.length, 2);
    assert.deepEqual(out.map((l) => l[0].token_str), ['copy', 'license']);
    for (const list of out) {
      assert.equal(list.length, 4);
      assert.deepEqual(Object.keys(list[0]).sort(), ['score', 'token', 'token_str']);
      assert.ok(list.every((x, i) => i === 0 || x.score <= list[i - 1].score));
    }
  });

  it('[MASK] works for a <mask> model, and token_str keeps the byte-level space', () => {
    const r = run('fill', 'This program is free [MASK].', '--model', fixture('roberta-tiny-bpe'), '--json', '--top-k', '1');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout)[0][0].token_str, ' software');
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

  it('no mask in the text: exit 2 and how to write one', () => {
    const r = run('fill', 'no mask', '--model', fixture('bert-tiny-wordpiece'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /Write \[MASK\]/);
  });
});
