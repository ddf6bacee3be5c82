// The surprisal lens's numbers: every token of a text scored with the rest as context, offsets that map back onto
// the text, and a typo standing out as the most surprising token.
import assert from 'node:assert/strict';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { surprisal } from '../../src/core/surprisal';
import { fixture, repoRoot } from '../paths';

const CODE = 'import numpy as np\n\ndef mean(values):\n    """Return the arithmetic mean of the values."""\n    return sum(values) / len(values)\n\ndef total(values):\n    return sum(vaules)\n';

describe('surprisal', function () {
  this.timeout(120_000);
  let engine: Engine;
  before(async () => { engine = await Engine.load(path.join(repoRoot, 'models', 'default'), { devices: ['cpu'] }); });
  after(async () => engine?.dispose());

  it('scores every token once, with offsets that slice the text back out, bits ≥ 0 and ranked candidates', async () => {
    const text = `café 😀 ${CODE}`;
    const tokens = await surprisal(engine, text);
    assert.ok(tokens.length > 40);
    let last = 0;
    for (const t of tokens) {
      assert.equal(text.slice(t.start, t.end), t.text);
      assert.ok(t.start >= last, 'entries overlap or are out of order');
      last = t.end;
      assert.ok(t.bits >= 0 && Number.isFinite(t.bits), `${t.text}: ${t.bits} bits`);
      assert.ok(t.rank >= 1);
      assert.ok(t.top.every((c, i) => i === 0 || c.score <= t.top[i - 1].score), 'candidates not best first');
      assert.ok(t.top.every((c) => !c.text.includes('\uFFFD')), 'a fragment among the candidates');
    }
    assert.ok(tokens.some((t) => t.text === '😀'), 'the emoji (several byte pieces) is one entry');
  });

  it('a typo is the most surprising token of the snippet', async () => {
    const tokens = await surprisal(engine, CODE);
    const worst = [...tokens].sort((a, b) => b.bits - a.bits)[0];
    const typo = CODE.lastIndexOf('vaules');
    assert.ok(worst.start >= typo && worst.end <= typo + 'vaules'.length, `most surprising: ${JSON.stringify(worst.text)} at ${worst.start}`);
  });

  it('scores only the requested range, and works for a WordPiece model too', async () => {
    const from = CODE.indexOf('def total');
    const some = await surprisal(engine, CODE, { from, to: CODE.length });
    assert.ok(some.length > 0 && some.every((t) => t.end > from));
    const bert = await Engine.load(fixture('bert-tiny-wordpiece'), { devices: ['cpu'] });
    try {
      const text = 'This program is free software.';
      const words = await surprisal(bert, text);
      assert.deepEqual(words.map((t) => t.text), ['This', 'program', 'is', 'free', 'software', '.']);
      assert.ok(words.find((t) => t.text === 'software')!.rank <= 3, 'the fixture predicts "software" here');
    } finally {
      await bert.dispose();
    }
  });
});
