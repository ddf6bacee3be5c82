// Bad models and hostile documents must give typed, actionable errors — or bounded work — never a crash.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { ClozeError } from '../../src/core/errors';
import { DocumentGuard } from '../../src/server/documentGuard';
import type { Notice } from '../../src/protocol';
import { notFillMaskOnnx } from '../badOnnx';
import { fixture } from '../paths';

const BERT = fixture('bert-tiny-wordpiece');
const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.onnx'];

function copyModel(dir: string, from = BERT): string {
  mkdirSync(dir, { recursive: true });
  for (const f of FILES) copyFileSync(path.join(from, f), path.join(dir, f));
  return dir;
}

async function loadError(dir: string): Promise<ClozeError> {
  try {
    const e = await Engine.load(dir, { devices: ['cpu'] });
    await e.dispose();
  } catch (e) {
    assert.ok(e instanceof ClozeError, `expected a ClozeError, got ${e}`);
    return e;
  }
  assert.fail('the model loaded');
}

describe('bad models give actionable errors', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-bad-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('a missing folder', async () => {
    const e = await loadError(path.join(tmp, 'nope'));
    assert.equal(e.code, 'model-missing');
    assert.match(e.userMessage, /not found/);
  });

  it('a folder without config.json', async () => {
    const dir = copyModel(path.join(tmp, 'm'));
    rmSync(path.join(dir, 'config.json'));
    const e = await loadError(dir);
    assert.equal(e.code, 'model-corrupt');
    assert.match(e.userMessage, /config\.json/);
  });

  it('config.json that is not JSON', async () => {
    const dir = copyModel(path.join(tmp, 'm'));
    writeFileSync(path.join(dir, 'config.json'), '{"model_type": "bert",');
    const e = await loadError(dir);
    assert.equal(e.code, 'model-corrupt');
    assert.match(e.userMessage, /not valid JSON/);
  });

  it('a corrupt model.onnx (garbage bytes)', async () => {
    const dir = copyModel(path.join(tmp, 'm'));
    writeFileSync(path.join(dir, 'model.onnx'), Buffer.from('this is not a protobuf'.repeat(100)));
    const e = await loadError(dir);
    assert.equal(e.code, 'model-corrupt');
    assert.match(e.userMessage, /damaged|truncated/);
  });

  it('a truncated model.onnx (half a download)', async () => {
    const dir = copyModel(path.join(tmp, 'm'));
    const bytes = readFileSync(path.join(BERT, 'model.onnx'));
    writeFileSync(path.join(dir, 'model.onnx'), bytes.subarray(0, bytes.length >> 1));
    const e = await loadError(dir);
    assert.equal(e.code, 'model-corrupt');
  });

  it('no ONNX file at all', async () => {
    const dir = copyModel(path.join(tmp, 'm'));
    rmSync(path.join(dir, 'model.onnx'));
    const e = await loadError(dir);
    assert.equal(e.code, 'model-corrupt');
    assert.match(e.userMessage, /no ONNX model/);
  });

  it('a tokenizer without a mask token', async () => {
    const dir = copyModel(path.join(tmp, 'm'));
    for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) {
      const j = JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
      delete j.mask_token;
      writeFileSync(path.join(dir, f), JSON.stringify(j));
    }
    const e = await loadError(dir);
    assert.equal(e.code, 'no-mask-token');
    assert.match(e.userMessage, /mask token/);
  });

  it('a model whose inputs are not a fill-mask encoder\'s', async () => {
    const dir = copyModel(path.join(tmp, 'm'));
    // A real ONNX graph with an input no encoder has.
    writeFileSync(path.join(dir, 'model.onnx'), notFillMaskOnnx('pixel_values'));
    const e = await loadError(dir);
    assert.equal(e.code, 'model-inputs');
    assert.match(e.userMessage, /pixel_values/);
  });

  it('a model whose output is not per-token logits', async () => {
    const dir = copyModel(path.join(tmp, 'm'));
    writeFileSync(path.join(dir, 'model.onnx'), notFillMaskOnnx());
    const e = await loadError(dir);
    assert.equal(e.code, 'model-inputs');
    assert.match(e.userMessage, /fill-mask/);
  });

  it('the RoBERTa fixture with its own tokenizer loads (control)', async () => {
    const e = await Engine.load(fixture('roberta-tiny-bpe'), { devices: ['cpu'] });
    assert.equal(e.info.maskToken, '<mask>');
    await e.dispose();
  });
});

describe('hostile documents', () => {
  let engine: Engine;
  before(async () => (engine = await Engine.load(BERT, { devices: ['cpu'] })));
  after(async () => engine?.dispose());

  it('a 1 MB single line: the window stays within the token budget', async () => {
    const filler = 'var a=function(b){return b+1};'.repeat(Math.ceil(500000 / 30));
    const text = filler + ' the program is free [MASK] . ' + filler;
    assert.ok(text.length > 1e6);
    const at = text.indexOf('[MASK]') + 3;
    const p = await engine.fillAt(text, at, { topK: 5, contextTokens: 64 });
    assert.ok(p, 'a prediction');
    assert.ok(p.windowTokens <= 64, `window of ${p.windowTokens} tokens`);
    assert.equal(p.span.start, text.indexOf('[MASK]'));
    assert.equal(p.candidates.length, 5);
  });

  it('100 masks in a line: every mask gets candidates, windows stay bounded', async () => {
    const text = Array.from({ length: 100 }, (_, i) => `word${i} [MASK]`).join(' ');
    const preds = await engine.fill(text, { topK: 3, contextTokens: 128 });
    assert.equal(preds.length, 100);
    for (const p of preds) {
      assert.equal(p.candidates.length, 3);
      assert.ok(p.windowTokens <= 128);
      assert.equal(text.slice(p.span.start, p.span.end), '[MASK]');
    }
    assert.ok(preds.some((p) => p.masksInWindow > 16), 'masks share windows');
  });

  it('a mask at the very start and the very end of a document', async () => {
    const preds = await engine.fill('[MASK] program is free software and so is [MASK]', { topK: 2 });
    assert.equal(preds.length, 2);
    assert.equal(preds[0].span.start, 0);
  });

  it('masks glued to text are still found by id', async () => {
    const preds = await engine.fill('free[MASK].', { topK: 2 });
    assert.equal(preds.length, 1);
  });

  it('targets restrict scoring to the given words', async () => {
    const p = await engine.fillAt('This program is free [MASK].', 22, { targets: ['license', 'software', 'zzzznotaword'] });
    assert.ok(p);
    assert.deepEqual(p.candidates.slice(0, 2).map((c) => c.text), ['software', 'license']);
  });

  it('edits read naturally: a new word after a letter gets a space, a continuation piece eats the space', async () => {
    const glued = await engine.fillAt('This program is free[MASK].', 22, { topK: 1 });
    assert.equal(glued?.candidates[0].insert, ' software');
    const spaced = await engine.fillAt('This program is free [MASK].', 22, { topK: 1 });
    assert.equal(spaced?.candidates[0].insert, 'software');
    const piece = await engine.fillAt('This program is free [MASK].', 22, { targets: ['##s'] });
    assert.deepEqual([piece?.candidates[0].attach, piece?.candidates[0].joinLeft, piece?.candidates[0].insert], [true, true, 's']);
    const punct = await engine.fillAt('path = os.path.[MASK](base_dir, name)', 17, { topK: 1 });
    assert.ok(!punct?.candidates[0].insert.startsWith(' '));
  });

  it('never offers whitespace-only pieces (a mask stands for a word), even where the model ranks one first', async () => {
    const roberta = await Engine.load(fixture('roberta-tiny-bpe'), { devices: ['cpu'] });
    try {
      assert.ok(roberta.tokenizer.blankIds.size > 0, 'the byte-level vocabulary has whitespace pieces');
      const text = '<mask> program is free software; you can redistribute it and/or modify it under the terms of the GNU General Public <mask>';
      const logits = await roberta.runBatch([await roberta.tokenizer.encodeFramed(text)]);
      const V = logits.dims[2];
      const ids = await roberta.tokenizer.encodeFramed(text);
      const last = ids.lastIndexOf(roberta.tokenizer.maskId);
      const row = logits.data.subarray(last * V, (last + 1) * V); // the last mask, where the model's first choice is a newline
      let best = 0;
      for (let i = 1; i < V; i++) if (row[i] > row[best]) best = i;
      assert.ok(roberta.tokenizer.blankIds.has(best), 'the raw model prefers a whitespace piece here');
      const preds = await roberta.fill(text, { topK: 10 });
      for (const p of preds) for (const c of p.candidates) assert.notEqual(c.text.trim(), '', JSON.stringify(c));
    } finally {
      await roberta.dispose();
    }
  });

  it('a text without a mask yields nothing', async () => {
    assert.deepEqual(await engine.fill('no masks here'), []);
    assert.equal(await engine.fillAt('no masks here', 3), undefined);
  });
});

describe('document guard', () => {
  const notices: Notice[] = [];
  const guard = new DocumentGuard((n) => notices.push(n));
  beforeEach(() => (notices.length = 0));

  it('skips binary content and says why, once', () => {
    const text = 'ELF\u0000\u0001\u0002' + 'x'.repeat(100) + '[MASK]';
    const v = guard.check('file:///bin/app', text, 5);
    assert.equal(v.ok, false);
    guard.check('file:///bin/app', text, 5);
    assert.equal(notices.length, 1);
    assert.match(notices[0].message, /binary/);
  });

  it('skips documents over the size limit with the setting to change', () => {
    const v = guard.check('file:///big.txt', 'a '.repeat(600000), 1);
    assert.equal(v.ok, false);
    assert.match(notices[0].message, /cloze\.maxFileSizeMB/);
  });

  it('keeps filling in minified code but says so', () => {
    const v = guard.check('file:///app.min.js', 'var a=1;'.repeat(20000) + '[MASK]', 5);
    assert.equal(v.ok, true);
    assert.match(notices[0].message, /minified/);
  });

  it('a 1 MB line of prose still fills, and says only the window around the mask is read', () => {
    const v = guard.check('file:///long.txt', 'the cat sat on the mat and '.repeat(40000) + '[MASK]', 5);
    assert.equal(v.ok, true);
    assert.equal(notices.length, 1);
    assert.match(notices[0].message, /line of 1,080,006 characters/);
  });

  it('ordinary text passes silently', () => {
    assert.equal(guard.check('file:///a.md', 'The [MASK] sat on the mat.\n', 5).ok, true);
    assert.equal(notices.length, 0);
  });
});
