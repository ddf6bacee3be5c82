// Byte-level pieces that hold part of a character decode to U+FFFD alone: they are never offered (issue 13 #4).
import assert from 'node:assert/strict';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { repoRoot } from '../paths';

describe('character fragments are never offered as fills', () => {
  let engine: Engine;
  before(async () => { engine = await Engine.load(path.join(repoRoot, 'models', 'default'), { devices: ['cpu'] }); });
  after(async () => engine?.dispose());

  it('the fragment set is exactly the pieces that decode to U+FFFD on their own', async function () {
    this.timeout(60_000);
    const tok = engine.tokenizer;
    const wrong: string[] = [];
    let fragments = 0;
    for (let id = 0; id < tok.vocabSize; id++) {
      if (tok.specialIds.has(id)) continue;
      const replacement = (await tok.decode([id])).includes('\uFFFD');
      if (replacement) fragments++;
      if (replacement !== tok.fragmentIds.has(id)) wrong.push(`${id} ${JSON.stringify(tok.piece(id))}`);
    }
    assert.ok(fragments > 0, 'this byte-level vocabulary has fragments');
    assert.deepEqual(wrong.slice(0, 10), []);
  });

  it('a mask between Chinese characters gets no U+FFFD candidate (accepting one would corrupt the text)', async () => {
    const [p] = await engine.fill('这是一个[MASK]测试', { topK: 20 });
    assert.ok(p.candidates.length > 0);
    const bad = p.candidates.filter((c) => c.text.includes('\uFFFD') || c.insert.includes('\uFFFD'));
    assert.deepEqual(bad.map((c) => c.token), []);
  });
});
