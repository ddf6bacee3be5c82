// Our BPE tokenizer training: exact vocabulary size, deterministic, every byte representable, RoBERTa framing.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { trainByteLevelBpe } from '../../src/train/tokenizerTrainer';
import { repoRoot } from '../paths';

describe('byte-level BPE tokenizer training', () => {
  const libDir = path.join(repoRoot, 'node_modules', 'typescript', 'lib');
  const files = readdirSync(libDir).filter((f) => f.endsWith('.d.ts')).sort().slice(0, 30).map((f) => path.join(libDir, f));
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-tok-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('writes exactly the requested vocabulary, deterministically', () => {
    const a = trainByteLevelBpe(files, path.join(tmp, 'a'), { vocabSize: 2048, modelMaxLength: 510 });
    const b = trainByteLevelBpe(files, path.join(tmp, 'b'), { vocabSize: 2048, modelMaxLength: 510 });
    assert.equal(a.vocabSize, 2048);
    assert.deepEqual(a, b);
    assert.equal(readFileSync(path.join(tmp, 'a', 'tokenizer.json'), 'utf8'), readFileSync(path.join(tmp, 'b', 'tokenizer.json'), 'utf8'));
  });

  it('round-trips any text (every byte has a token) and frames with <s> … </s>, <mask> last', async () => {
    const tok = Tokenizer.fromFile(path.join(tmp, 'a', 'tokenizer.json'));
    assert.equal(tok.getVocabSize(true), 2048);
    assert.equal(tok.tokenToId('<mask>'), 2047);
    const text = 'const x = "héllo ☃ 𝔘nicode"; // ünïcödé\tand tabs';
    const enc = await tok.encode(text);
    const ids = enc.getIds();
    assert.equal(ids[0], 0);
    assert.equal(ids[ids.length - 1], 2);
    assert.ok(!ids.includes(3), 'no <unk>');
    assert.equal(await tok.decode(ids, true), text);
    const masked = await tok.encode('return x + <mask>;');
    assert.ok(masked.getIds().includes(2047));
  });
});
