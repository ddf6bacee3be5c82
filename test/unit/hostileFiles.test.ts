// Hostile model folders (issue 13 #2, #6): special files and impossible numbers give a typed error at once — no hang,
// no flood of memory, no silent 8-token window.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { ClozeError } from '../../src/core/errors';
import { fixture } from '../paths';

const BERT = fixture('bert-tiny-wordpiece');
const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.onnx'];

async function loadError(dir: string): Promise<{ error: ClozeError; ms: number }> {
  const t0 = performance.now();
  try {
    const e = await Engine.load(dir, { devices: ['cpu'] });
    await e.dispose();
  } catch (e) {
    assert.ok(e instanceof ClozeError, `expected a ClozeError, got ${e}`);
    return { error: e, ms: performance.now() - t0 };
  }
  assert.fail('the model loaded');
}

describe('hostile model folders', () => {
  let tmp: string;
  let dir: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-hostile-'));
    dir = path.join(tmp, 'model');
    mkdirSync(dir);
    for (const f of FILES) copyFileSync(path.join(BERT, f), path.join(dir, f));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  for (const name of ['config.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.json']) {
    it(`${name} as a FIFO: an error naming it, no hang`, async function () {
      this.timeout(10_000);
      unlinkSync(path.join(dir, name));
      execFileSync('mkfifo', [path.join(dir, name)]);
      const { error, ms } = await loadError(dir);
      assert.equal(error.code, 'model-corrupt');
      assert.match(error.userMessage, new RegExp(`${name.replace('.', '\\.')}.*not a regular file`));
      assert.ok(ms < 5000, `${ms} ms`);
    });
  }

  for (const [name, device] of [['special_tokens_map.json', '/dev/urandom'], ['config.json', '/dev/zero']] as const) {
    it(`${name} → ${device}: refused before reading`, async () => {
      unlinkSync(path.join(dir, name));
      symlinkSync(device, path.join(dir, name));
      const rss = process.memoryUsage().rss;
      const { error, ms } = await loadError(dir);
      assert.match(error.userMessage, /not a regular file/);
      assert.ok(ms < 2000, `${ms} ms`);
      assert.ok(process.memoryUsage().rss - rss < 50 * 1024 * 1024, 'memory grew by more than 50 MB');
    });
  }

  it('an oversized config.json is refused with its size', async () => {
    writeFileSync(path.join(dir, 'config.json'), `{"pad": "${'x'.repeat(5 * 1024 * 1024)}"}`);
    const { error } = await loadError(dir);
    assert.match(error.userMessage, /config\.json .* is 5\.0 MB, more than/);
  });

  const config = () => JSON.parse(readFileSync(path.join(BERT, 'config.json'), 'utf8')) as Record<string, unknown>;
  for (const bad of [-5, 0, 2.5, '512', 1e12]) {
    it(`max_position_embeddings ${JSON.stringify(bad)}: a clear error, not a tiny window`, async () => {
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config(), max_position_embeddings: bad }));
      const { error } = await loadError(dir);
      assert.equal(error.code, 'model-corrupt');
      assert.match(error.userMessage, /max_position_embeddings = .* whole number/);
    });
  }

  it('model_max_length 0: a clear error', async () => {
    const tc = JSON.parse(readFileSync(path.join(BERT, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...tc, model_max_length: 0 }));
    const { error } = await loadError(dir);
    assert.match(error.userMessage, /model_max_length = 0/);
  });

  it('model_max_length 1e30 (Hugging Face for "no limit") still loads, bounded by the positions', async () => {
    const tc = JSON.parse(readFileSync(path.join(BERT, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...tc, model_max_length: 1e30 }));
    const e = await Engine.load(dir, { devices: ['cpu'] });
    try {
      assert.equal(e.info.maxTokens, 128);
    } finally {
      await e.dispose();
    }
  });
});
