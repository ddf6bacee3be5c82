// The engine must reproduce the logits of an independent PyTorch implementation on the shared fixtures (≤ 1e-4).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { buildWindow } from '../../src/core/window';
import { FIXTURES, fixture } from '../paths';

interface RefMask { batch_index: number; position: number; top_ids: number[]; top_tokens: string[]; top_logits: number[] }
interface RefCase {
  name: string; texts: string[]; input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][];
  masks: RefMask[]; logits_file?: string; logits_shape?: [number, number];
}
interface Reference { mask_token: string; mask_token_id: number; cases: RefCase[] }

const TOL = 1e-4;

for (const name of FIXTURES) {
  describe(`parity with PyTorch: ${name}`, () => {
    const dir = fixture(name);
    const ref: Reference = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8'));
    let engine: Engine;
    before(async () => {
      engine = await Engine.load(dir, { devices: ['cpu'] });
    });
    after(async () => engine?.dispose());

    it('uses the fixture mask token and id', () => {
      assert.equal(engine.info.maskToken, ref.mask_token);
      assert.equal(engine.tokenizer.maskId, ref.mask_token_id);
    });

    for (const c of ref.cases) {
      it(`${c.name}: token ids match exactly (tokenizer framing and the engine's context window)`, async () => {
        for (let b = 0; b < c.texts.length; b++) {
          const expected = c.input_ids[b].filter((_, i) => c.attention_mask[b][i] === 1);
          assert.deepEqual(await engine.tokenizer.encodeFramed(c.texts[b]), expected);
          const text = c.texts[b];
          const masks = engine.masksIn(text);
          const win = await buildWindow(engine.tokenizer, text, engine.maskRegex, engine.info.maskToken, masks[0], engine.info.maxTokens);
          assert.deepEqual(win.ids, expected, 'window ids');
          // `[MASK]` is accepted for every model and mapped to its own mask token.
          const universal = text.split(ref.mask_token).join('[MASK]');
          const uw = await buildWindow(engine.tokenizer, universal, engine.maskRegex, engine.info.maskToken, engine.masksIn(universal)[0], engine.info.maxTokens);
          assert.deepEqual(uw.ids, expected, '[MASK] window ids');
        }
      });

      it(`${c.name}: logits at every mask within ${TOL} and the same top ids`, async () => {
        const { data, dims } = await engine.runBatch(c.input_ids, c.attention_mask, c.token_type_ids);
        const [, S, V] = dims;
        assert.equal(S, c.input_ids[0].length);
        for (const m of c.masks) {
          const row = data.subarray((m.batch_index * S + m.position) * V, (m.batch_index * S + m.position + 1) * V);
          let worst = 0;
          m.top_ids.forEach((id, i) => (worst = Math.max(worst, Math.abs(row[id] - m.top_logits[i]))));
          assert.ok(worst <= TOL, `max |diff| ${worst}`);
          const ours = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, m.top_ids.length);
          assert.deepEqual(ours, m.top_ids);
        }
      });

      if (c.logits_file) {
        it(`${c.name}: every logit of ${c.logits_file} within ${TOL}`, async () => {
          const buf = readFileSync(path.join(dir, c.logits_file!));
          const expected = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
          const { data } = await engine.runBatch(c.input_ids, c.attention_mask, c.token_type_ids);
          assert.equal(data.length, expected.length);
          let worst = 0;
          for (let i = 0; i < data.length; i++) worst = Math.max(worst, Math.abs(data[i] - expected[i]));
          assert.ok(worst <= TOL, `max |diff| ${worst}`);
        });
      }

      if (c.texts.length === 1) {
        it(`${c.name}: fill() ranks the reference's best token first (special and whitespace-only pieces excluded)`, async () => {
          const preds = await engine.fill(c.texts[0], { topK: 5 });
          assert.equal(preds.length, c.masks.length);
          preds.forEach((p, i) => {
            const best = c.masks[i].top_ids.find((id) => !engine.tokenizer.specialIds.has(id) && !engine.tokenizer.blankIds.has(id));
            assert.equal(p.candidates[0].id, best);
            const sum = p.candidates.reduce((s, x) => s + x.score, 0);
            assert.ok(sum > 0 && sum <= 1 + 1e-9);
            assert.ok(p.candidates.every((x, j) => j === 0 || x.score <= p.candidates[j - 1].score));
          });
        });
      }
    }
  });
}
