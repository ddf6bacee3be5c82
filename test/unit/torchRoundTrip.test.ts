// "Exported models load in PyTorch by name": an independent PyTorch forward (scripts/verify/torch_mlm.py: transformers
// names, strict loading like from_pretrained, its own safetensors parser) must reproduce the fixtures' references and
// give the same logits as our ONNX run of a model `cloze train` exported. Pending where python3 has no torch.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Engine } from '../../src/core/engine';
import { resolveModelDir } from '../../src/core/modelPointer';
import { encodeSafetensors, parseSafetensors, type SafeTensorOut } from '../../src/core/safetensors';
import { FIXTURES, fixture, repoRoot } from '../paths';

const SCRIPT = path.join(repoRoot, 'scripts', 'verify', 'torch_mlm.py');
const run = promisify(execFile);

/** A python3 that imports torch: CLOZE_PYTHON, else python3 on PATH, else Debian's /usr/bin/python3 (python3-torch). */
function torchPython(): string | undefined {
  for (const py of [process.env.CLOZE_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!py) continue;
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
      return py;
    } catch {
      // not this one
    }
  }
  return undefined;
}

interface RefCase { input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][] }

describe('PyTorch round trip (scripts/verify/torch_mlm.py)', function () {
  this.timeout(300_000);
  let py: string | undefined;
  let tmp: string;

  before(function () {
    py = torchPython();
    if (!py) {
      console.log('      pending: no python3 with torch here (Debian: apt-get install python3-torch libopenblas0; or set CLOZE_PYTHON)');
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-torch-'));
  });
  after(() => tmp && rmSync(tmp, { recursive: true, force: true }));

  for (const name of FIXTURES) {
    it(`${name}: the PyTorch forward over model.safetensors reproduces the reference logits (≤ 1e-4)`, async () => {
      const r = await run(py!, [SCRIPT, 'reference', fixture(name)], { encoding: 'utf8' });
      const out = JSON.parse(r.stdout.trim()) as { ok: boolean; masks: number; full_logit_files: number; max_abs_diff: number };
      console.log(`      ${name}: max |Δ| ${out.max_abs_diff.toExponential(2)} over ${out.masks} masks and ${out.full_logit_files} full logit files`);
      assert.equal(out.ok, true);
      assert.ok(out.masks > 0 && out.full_logit_files === 2);
      assert.ok(out.max_abs_diff <= 1e-4);
    });

    it(`${name}: a model \`cloze train\` exported loads by name in PyTorch and gives our ONNX logits (≤ 1e-4)`, async function () {
      const cli = path.join(repoRoot, 'dist', 'cli.js');
      if (!existsSync(cli)) this.skip();
      const out = path.join(tmp, `train-${name}`);
      await run(process.execPath, [cli, 'train', path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source', 'semver'), '--from', fixture(name), '--out', out, '--steps', '3', '--seq', '64', '--json'], { encoding: 'utf8' });
      // The exported folder (out/model points at its current version).
      const model = await resolveModelDir(path.join(out, 'model'));
      const exported = parseSafetensors(readFileSync(path.join(model, 'model.safetensors')));
      const original = parseSafetensors(readFileSync(path.join(fixture(name), 'model.safetensors')));
      const bias = name.startsWith('bert') ? 'cls.predictions.bias' : 'lm_head.bias';
      assert.notDeepEqual(exported.read(bias), original.read(bias), 'training changed the weights');

      const ref = JSON.parse(readFileSync(path.join(fixture(name), 'reference.json'), 'utf8')) as { cases: RefCase[] };
      const cases = ref.cases.slice(0, 4).map((c) => ({ input_ids: c.input_ids, attention_mask: c.attention_mask, ...(c.token_type_ids ? { token_type_ids: c.token_type_ids } : {}) }));
      writeFileSync(path.join(tmp, `cases-${name}.json`), JSON.stringify(cases));
      const r = await run(py!, [SCRIPT, 'logits', model, path.join(tmp, `cases-${name}.json`), path.join(tmp, `torch-${name}`)], { encoding: 'utf8' });
      assert.equal((JSON.parse(r.stdout.trim()) as { ok: boolean }).ok, true);
      const engine = await Engine.load(model, { devices: ['cpu'] });
      let worst = 0;
      try {
        for (let i = 0; i < cases.length; i++) {
          const { data } = await engine.runBatch(cases[i].input_ids, cases[i].attention_mask, cases[i].token_type_ids);
          const buf = readFileSync(path.join(tmp, `torch-${name}-${i}.f32`));
          const torch = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
          assert.equal(torch.length, data.length);
          for (let j = 0; j < data.length; j++) worst = Math.max(worst, Math.abs(data[j] - torch[j]));
        }
      } finally {
        await engine.dispose();
      }
      console.log(`      ${name}: exported model, PyTorch vs ONNX max |Δ| ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-4, `max |diff| ${worst}`);
    });
  }

  it('loading is strict like from_pretrained: a renamed tensor is reported missing and unexpected', async () => {
    const dir = path.join(tmp, 'renamed');
    execFileSync('mkdir', ['-p', dir]);
    for (const f of readdirSync(fixture('bert-tiny-wordpiece'))) if (f === 'config.json') copyFileSync(path.join(fixture('bert-tiny-wordpiece'), f), path.join(dir, f));
    const st = parseSafetensors(readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'model.safetensors')));
    const out = new Map<string, SafeTensorOut>();
    for (const [n, info] of st.tensors) out.set(n === 'bert.encoder.layer.1.output.dense.weight' ? 'bert.encoder.layer.1.output.dense_renamed.weight' : n, { shape: info.shape, data: st.read(n) });
    writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(out));
    const cases = path.join(tmp, 'one.json');
    writeFileSync(cases, JSON.stringify([{ input_ids: [[2, 5, 3]], attention_mask: [[1, 1, 1]] }]));
    await assert.rejects(run(py!, [SCRIPT, 'logits', dir, cases, path.join(tmp, 'x')], { encoding: 'utf8' }), (e: unknown) => {
      const report = JSON.parse(String((e as { stderr?: string }).stderr).trim()) as { missing: string[]; unexpected: string[] };
      assert.deepEqual(report.missing, ['bert.encoder.layer.1.output.dense.weight']);
      assert.deepEqual(report.unexpected, ['bert.encoder.layer.1.output.dense_renamed.weight']);
      return true;
    });
  });
});
