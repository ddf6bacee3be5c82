// Packing frames real tokenized text with each model's own start/end tokens; masking follows the 15% / 80-10-10 recipe.
import assert from 'node:assert/strict';
import path from 'node:path';
import { IGNORE_LABEL } from '../../src/train/batch';
import { MaskingCollator, defaultMaxMasked } from '../../src/train/collator';
import { collectCorpus } from '../../src/train/corpus';
import { loadFramingTokenizer, type FramingTokenizer } from '../../src/core/tokenizer';
import { packDocuments, type PackedSequences } from '../../src/train/packer';
import { Rng } from '../../src/train/rng';
import { FIXTURES, fixture, repoRoot } from '../paths';

const sourceDir = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source');

for (const name of FIXTURES) {
  describe(`packing and masking: ${name}`, () => {
    let tok: FramingTokenizer;
    let texts: string[];
    let packed: PackedSequences;
    const SEQ = 64;

    before(async () => {
      tok = await loadFramingTokenizer(fixture(name));
      texts = (await collectCorpus([sourceDir])).files.map((f) => f.text);
      packed = await packDocuments(tok, texts, SEQ);
    });

    it('resolves the model’s own framing and mask tokens', () => {
      const expect = name.startsWith('bert') ? ['[CLS]', '[SEP]', '[PAD]', '[MASK]'] : ['<s>', '</s>', '<pad>', '<mask>'];
      const got = [tok.clsId, tok.sepId, tok.padId, tok.maskId].map((id) => tok.tokenizer.idToToken(id));
      assert.deepEqual(got, expect);
      assert.equal(tok.family, name.startsWith('bert') ? 'bert' : 'roberta');
      for (const id of [tok.clsId, tok.sepId, tok.padId, tok.maskId]) assert.ok(tok.specialIds.includes(id));
    });

    it('packs every token of every document, in order, into framed fixed-length rows', async () => {
      // The stream of content tokens, unframed, must equal the documents' own encodings joined by the end token.
      const expected: number[] = [];
      for (const t of texts) {
        const ids = (await tok.tokenizer.encode(t, null, { addSpecialTokens: false })).getIds();
        if (ids.length === 0) continue;
        if (expected.length) expected.push(tok.sepId);
        expected.push(...ids);
      }
      const got: number[] = [];
      let padded = 0;
      for (let r = 0; r < packed.count; r++) {
        const row = Array.from(packed.ids.subarray(r * SEQ, (r + 1) * SEQ));
        const len = packed.lengths[r];
        assert.equal(row[0], tok.clsId, `row ${r} starts with the start token`);
        assert.equal(row[len - 1], tok.sepId, `row ${r} ends with the end token`);
        assert.ok(row.slice(len).every((id) => id === tok.padId));
        if (len < SEQ) padded++;
        got.push(...row.slice(1, len - 1));
      }
      assert.deepEqual(got, expected);
      assert.ok(padded <= 1, 'only the last row is padded');
      assert.equal(packed.tokens, packed.lengths.reduce((a, b) => a + b, 0));
      assert.ok(packed.count > 500, `${packed.count} rows from the test corpus`);
    });

    it('marks word starts so that continuation pieces belong to the word before them', async () => {
      const text = 'the function parseVersionString returns undefined';
      const enc = await tok.tokenizer.encode(text, null, { addSpecialTokens: false });
      const p = await packDocuments(tok, [text], enc.getIds().length + 2);
      const tokens = enc.getTokens();
      for (let k = 0; k < tokens.length; k++) {
        const starts = p.wordStart[1 + k] === 1;
        const continuation = name.startsWith('bert') ? tokens[k].startsWith('##') : k > 0 && !tokens[k].startsWith('Ġ');
        assert.equal(starts, !continuation, `token ${k} "${tokens[k]}"`);
      }
      assert.ok(tokens.length > 6, 'the identifier splits into several pieces');
    });

    it('selects ≈15% of maskable tokens, replaces them 80/10/10, and never touches special tokens or padding', () => {
      const B = 8;
      const collator = new MaskingCollator({ batch: B, seq: SEQ, maxMasked: defaultMaxMasked(B, SEQ), vocabSize: tok.vocabSize, maskTokenId: tok.maskId, specialIds: tok.specialIds });
      const rng = Rng.fromSeed(123);
      const special = new Set(tok.specialIds);
      let maskable = 0, selected = 0, asMask = 0, asRandom = 0, asKept = 0, dropped = 0;
      const lastRow = packed.count - 1; // the padded one, included in every batch
      for (let i = 0; i < 300; i++) {
        const rows = [lastRow, ...Array.from({ length: B - 1 }, () => rng.int(packed.count))];
        const { batch, detail } = collator.collateWithDetail(packed, rows, rng);
        dropped += detail.dropped;
        for (let b = 0; b < B; b++) {
          for (let s = 0; s < SEQ; s++) {
            const id = packed.ids[rows[b] * SEQ + s];
            const real = s < packed.lengths[rows[b]];
            assert.equal(batch.attentionMask[b * SEQ + s], real ? 1n : 0n);
            if (real && !special.has(id)) maskable++;
          }
        }
        for (let j = 0; j < batch.maxMasked; j++) {
          if (batch.labels[j] === IGNORE_LABEL) {
            assert.equal(batch.maskedPositions[j], 0n);
            continue;
          }
          const flat = Number(batch.maskedPositions[j]);
          const b = Math.floor(flat / SEQ), s = flat % SEQ;
          const original = packed.ids[rows[b] * SEQ + s];
          assert.equal(batch.labels[j], BigInt(original), 'the label is the original token');
          assert.ok(s < packed.lengths[rows[b]], 'padding is never a target');
          assert.ok(!special.has(original), 'special tokens are never targets');
          selected++;
          const now = Number(batch.inputIds[flat]);
          if (now === tok.maskId) asMask++;
          else if (now === original) asKept++;
          else {
            asRandom++;
            assert.ok(!special.has(now), 'random replacements are ordinary tokens');
          }
        }
      }
      assert.equal(dropped, 0);
      const share = selected / maskable;
      assert.ok(Math.abs(share - 0.15) < 0.005, `selected ${(100 * share).toFixed(2)}% of ${maskable} maskable tokens`);
      // A random replacement can draw the original token (p ≈ 1/vocab): counted as kept, within tolerance.
      assert.ok(Math.abs(asMask / selected - 0.8) < 0.01, `mask ${(asMask / selected).toFixed(3)}`);
      assert.ok(Math.abs(asRandom / selected - 0.1) < 0.01, `random ${(asRandom / selected).toFixed(3)}`);
      assert.ok(Math.abs(asKept / selected - 0.1) < 0.01, `kept ${(asKept / selected).toFixed(3)}`);
    });

    it('in whole-word mode masks every piece of a selected word together', () => {
      const B = 8;
      const collator = new MaskingCollator({ batch: B, seq: SEQ, maxMasked: defaultMaxMasked(B, SEQ, 0.15, true), vocabSize: tok.vocabSize, maskTokenId: tok.maskId, specialIds: tok.specialIds, wholeWord: true });
      const rng = Rng.fromSeed(5);
      const special = new Set(tok.specialIds);
      let words = 0, partial = 0, multiPiece = 0, selectedTokens = 0, maskable = 0;
      for (let i = 0; i < 100; i++) {
        const rows = Array.from({ length: B }, () => rng.int(packed.count));
        const batch = collator.collate(packed, rows, rng);
        const chosen = new Set<number>();
        for (let j = 0; j < batch.maxMasked; j++) if (batch.labels[j] !== IGNORE_LABEL) chosen.add(Number(batch.maskedPositions[j]));
        for (let b = 0; b < B; b++) {
          const base = rows[b] * SEQ;
          const len = packed.lengths[rows[b]];
          let s = 0;
          while (s < len) {
            if (special.has(packed.ids[base + s])) { s++; continue; }
            let e = s + 1; // a word: a start and the continuation pieces after it
            while (e < len && !packed.wordStart[base + e] && !special.has(packed.ids[base + e])) e++;
            const hits = Array.from({ length: e - s }, (_, k) => chosen.has(b * SEQ + s + k)).filter(Boolean).length;
            maskable += e - s;
            if (hits > 0) {
              words++;
              selectedTokens += hits;
              if (hits !== e - s) partial++;
              if (e - s > 1) multiPiece++;
            }
            s = e;
          }
        }
      }
      assert.equal(partial, 0, 'no word is masked in part');
      assert.ok(multiPiece > 50, `${multiPiece} multi-piece words were masked whole`);
      assert.ok(Math.abs(selectedTokens / maskable - 0.15) < 0.03, `${((100 * selectedTokens) / maskable).toFixed(1)}% of tokens selected`);
      assert.ok(words > 1000);
    });

    it('gives the same batch for the same rng state, and a different one after', () => {
      const B = 4;
      const collator = new MaskingCollator({ batch: B, seq: SEQ, maxMasked: defaultMaxMasked(B, SEQ), vocabSize: tok.vocabSize, maskTokenId: tok.maskId, specialIds: tok.specialIds });
      const rng = Rng.fromSeed(99);
      const saved = rng.state();
      const rows = [0, 1, 2, 3];
      const first = collator.collate(packed, rows, rng);
      const again = collator.collate(packed, rows, Rng.fromState(JSON.parse(JSON.stringify(saved))));
      assert.deepEqual(again, first);
      const next = collator.collate(packed, rows, rng);
      assert.notDeepEqual(next.labels, first.labels);
    });
  });
}
