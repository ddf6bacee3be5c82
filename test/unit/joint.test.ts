// Several masks filled together: a consistent combination whose score is a real (conditional) probability.
import assert from 'node:assert/strict';
import { Engine } from '../../src/core/engine';
import { fixture } from '../paths';

describe('joint fill of several masks', () => {
  let engine: Engine;
  before(async () => (engine = await Engine.load(fixture('bert-tiny-wordpiece'), { devices: ['cpu'] })));
  after(async () => engine?.dispose());

  const text = 'You should have received a [MASK] of the GNU General Public [MASK] along with this program.';

  it('fills both masks with the words the fixture predicts, best combination first', async () => {
    const j = await engine.fillJoint(text, text.indexOf('[MASK]') + 1, { beam: 3 });
    assert.ok(j);
    assert.equal(j.spans.length, 2);
    assert.deepEqual(j.alternatives[0].texts, ['copy', 'license']);
    // What the editor writes into each mask (both follow a space, so the words go in as they are).
    assert.deepEqual(j.alternatives[0].inserts, ['copy', 'license']);
    const scores = j.alternatives.map((a) => a.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    assert.ok(scores[0] > 0 && scores[0] <= 1);
    // The joint score is a product of conditionals: at most the best single-mask probability of the first pick.
    const single = await engine.fill(text, { topK: 1 });
    assert.ok(scores[0] <= Math.max(...single.map((p) => p.candidates[0].score)) + 1e-9);
  });

  it('conditions each mask on the others: fixing one changes the other\'s distribution', async () => {
    const j = await engine.fillJoint(text, text.lastIndexOf('[MASK]') + 1, { beam: 4 });
    assert.ok(j && j.alternatives.length === 4);
    assert.equal(new Set(j.alternatives.map((a) => a.texts.join(' '))).size, 4, 'alternatives are distinct');
  });

  it('inserts keep words apart where a mask touches a word, as a single fill\'s insert does', async () => {
    const glued = 'You should have received a[MASK] of the GNU General Public [MASK] along with this program.';
    const j = await engine.fillJoint(glued, glued.indexOf('[MASK]') + 1);
    assert.ok(j);
    const first = j.alternatives[0];
    assert.ok(/^[a-z]/.test(first.texts[0]), first.texts[0]);
    assert.equal(first.inserts[0], ' ' + first.texts[0]);
  });

  it('a single mask has no joint fill', async () => {
    assert.equal(await engine.fillJoint('This program is free [MASK].', 22), undefined);
  });
});
