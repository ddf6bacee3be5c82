// `cloze train` and `cloze eval` as a user runs them: real processes, exit codes, output formats, actionable errors.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveModelDir } from '../../src/core/modelPointer';
import { cliMain, fixture, repoRoot } from '../paths';

const sourceDir = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source');

/** Starts `cloze <cmd> …` in its own Node process through the real entry point (src/cli/main.ts as tsc built it). */
export function spawnCli(cmd: string, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [cliMain, cmd, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function runCli(cmd: string, args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawnCli(cmd, args);
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (c, s) => r([c, s])));
  return { code, signal, stdout, stderr };
}

describe('cloze eval', function () {
  this.timeout(120_000);
  const semver = path.join(sourceDir, 'semver');

  it('prints exactly { top1, top5, perplexity, masked_tokens, files } with --json, the same on every run', async () => {
    const args = [semver, '--model', fixture('bert-tiny-wordpiece'), '--json'];
    const a = await runCli('eval', args);
    assert.equal(a.code, 0, a.stderr);
    const r = JSON.parse(a.stdout) as Record<string, number>;
    assert.deepEqual(Object.keys(r), ['top1', 'top5', 'perplexity', 'masked_tokens', 'files']);
    assert.equal(r.files, 51, 'every text file of the folder (50 .js files and the licence)');
    assert.ok(r.masked_tokens > 2000 && Number.isInteger(r.masked_tokens));
    assert.ok(r.top1 > 0.05 && r.top1 <= r.top5 && r.top5 < 1, JSON.stringify(r));
    assert.ok(r.perplexity > 1 && r.perplexity < 6000);
    const b = await runCli('eval', args);
    assert.equal(b.stdout, a.stdout, 'fixed seed: identical results');
    const c = await runCli('eval', [...args, '--seed', '7']);
    assert.notEqual(c.stdout, a.stdout, 'another seed masks other tokens');
  });

  it('prints a readable summary without --json, and fails with advice on a folder without text', async () => {
    const ok = await runCli('eval', [semver, '--model', fixture('roberta-tiny-bpe'), '--max-batches', '2']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /top-1 \d+\.\d\d%\s+top-5 \d+\.\d\d%\s+perplexity \d+\.\d\d/);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'cloze-empty-'));
    try {
      const bad = await runCli('eval', [empty, '--model', fixture('roberta-tiny-bpe')]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /No text files to evaluate/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const usage = await runCli('eval', []);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: cloze eval/);
  });
});

describe('cloze train', function () {
  this.timeout(180_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-cli-train-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('trains with --minutes alone by fitting the step count to the time, printing progress and the result', async () => {
    const out = path.join(tmp, 'minutes');
    const r = await runCli('train', [path.join(sourceDir, 'semver'), '--from', fixture('bert-tiny-wordpiece'), '--out', out, '--minutes', '0.25', '--seq', '64', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /fitted the run to \d+ steps/);
    assert.match(r.stderr, /step \d+\/\d+ {2}loss \d+\.\d{4} {2}[\d,]+ tok\/s {2}ETA \d+(s|m\d\ds)/);
    assert.match(r.stderr, /held-out \(before, step 0\)/);
    const res = JSON.parse(r.stdout) as { stopped: string; step: number; totalSteps: number; modelDir?: string };
    assert.ok(res.stopped === 'done' || res.stopped === 'time');
    assert.ok(res.step > 0 && res.totalSteps >= res.step);
    assert.ok(res.modelDir);
  });

  it('trains a new model with its own --vocab tokenizer learned from the training files', async () => {
    const out = path.join(tmp, 'vocab');
    const r = await runCli('train', [path.join(sourceDir, 'semver'), '--vocab', '1000', '--out', out, '--steps', '40', '--seq', '64',
      '--layers', '1', '--hidden', '64', '--heads', '2', '--intermediate', '128', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /trained a byte-level BPE tokenizer of 1000 tokens on \d+ files/);
    const res = JSON.parse(r.stdout) as { before: { loss: number }; after: { loss: number }; modelDir: string };
    assert.ok(res.after.loss < res.before.loss, `held-out loss ${res.before.loss} → ${res.after.loss}`);
    const version = await resolveModelDir(res.modelDir);
    const cfg = JSON.parse(readFileSync(path.join(version, 'config.json'), 'utf8')) as { vocab_size: number; num_hidden_layers: number };
    assert.equal(cfg.vocab_size, 1000);
    assert.equal(cfg.num_hidden_layers, 1);
    assert.ok(readFileSync(path.join(out, 'tokenizer', 'tokenizer.json')).equals(readFileSync(path.join(version, 'tokenizer.json'))), 'the model ships the run’s tokenizer');
  });

  it('--max-positions gives a new model room to continue at a longer --seq, and eval --whole-word scores words', async () => {
    const short = path.join(tmp, 'short');
    const a = await runCli('train', [path.join(sourceDir, 'semver'), '--vocab', '600', '--out', short, '--steps', '4', '--seq', '32', '--max-positions', '64',
      '--layers', '1', '--hidden', '32', '--heads', '2', '--intermediate', '64', '--json']);
    assert.equal(a.code, 0, a.stderr);
    const first = await resolveModelDir((JSON.parse(a.stdout) as { modelDir: string }).modelDir);
    const cfg = JSON.parse(readFileSync(path.join(first, 'config.json'), 'utf8')) as { max_position_embeddings: number };
    assert.equal(cfg.max_position_embeddings, 64 + 2, 'RoBERTa layout: 64 positions after the padding offset');
    const long = await runCli('train', [path.join(sourceDir, 'semver'), '--from', first, '--out', path.join(tmp, 'long'), '--steps', '2', '--seq', '64', '--json']);
    assert.equal(long.code, 0, long.stderr);
    const tooLong = await runCli('train', [path.join(sourceDir, 'semver'), '--from', first, '--out', path.join(tmp, 'too-long'), '--steps', '2', '--seq', '128']);
    assert.notEqual(tooLong.code, 0);
    assert.match(tooLong.stderr, /longer than the model's 64 positions/);
    const ww = await runCli('eval', [path.join(sourceDir, 'semver'), '--model', first, '--seq', '64', '--whole-word', '--max-batches', '4', '--json']);
    assert.equal(ww.code, 0, ww.stderr);
    const r = JSON.parse(ww.stdout) as Record<string, number>;
    assert.deepEqual(Object.keys(r), ['top1', 'top5', 'perplexity', 'masked_tokens', 'files', 'word_top1', 'word_loss', 'masked_words']);
    assert.ok(r.masked_words > 0 && r.masked_words <= r.masked_tokens, JSON.stringify(r));
    assert.ok(r.word_top1 >= 0 && r.word_top1 <= r.top1 + 0.2 && r.word_loss > 0, JSON.stringify(r));
    // The run folder itself (what `train --out` was given) names the model exported in it.
    const viaRun = await runCli('eval', [path.join(sourceDir, 'semver'), '--model', short, '--seq', '64', '--whole-word', '--max-batches', '4', '--json']);
    assert.equal(viaRun.code, 0, viaRun.stderr);
    assert.deepEqual(JSON.parse(viaRun.stdout), r);
  });

  it('refuses conflicting or incomplete requests with advice', async () => {
    const out = path.join(tmp, 'existing');
    mkdirSync(out);
    writeFileSync(path.join(out, 'checkpoint.bin'), 'a previous run');
    const again = await runCli('train', [sourceDir, '--from', fixture('bert-tiny-wordpiece'), '--out', out, '--steps', '5']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds a training run.*--resume/);
    const both = await runCli('train', [sourceDir, '--from', fixture('bert-tiny-wordpiece'), '--steps', '5', '--minutes', '1']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /either --steps or --minutes/);
    const noTok = await runCli('train', [sourceDir, '--out', path.join(tmp, 'x')]);
    assert.equal(noTok.code, 1);
    assert.match(noTok.stderr, /needs a tokenizer.*--from MODEL.*--tokenizer DIR/);
    const badNum = await runCli('train', [sourceDir, '--from', fixture('bert-tiny-wordpiece'), '--lr', 'fast']);
    assert.equal(badNum.code, 1);
    assert.match(badNum.stderr, /--lr must be a number/);
    const noRun = await runCli('train', ['--resume', '--out', path.join(tmp, 'nothing-here')]);
    assert.equal(noRun.code, 1);
    assert.match(noRun.stderr, /No checkpoint at .*Start without --resume/);
  });
});

describe('cloze command lines', function () {
  this.timeout(120_000);
  const file = path.join(sourceDir, 'semver', 'index.js');

  it('an unknown option: exit 2, what is wrong with a suggestion and the usage on stderr, nothing on stdout', async () => {
    const r = await runCli('train', [sourceDir, '--stpes', '5']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown option --stpes \(did you mean --steps\?\)/);
    assert.match(r.stderr, /usage: cloze train/);
    const cmd = await runCli('evl', []);
    assert.equal(cmd.code, 2);
    assert.match(cmd.stderr, /Unknown command "evl"\. Did you mean "eval"\?/);
    const none = await runCli('quantize', []);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /missing <model folder>/);
  });

  it('--version prints the package version; each --help is generated from the options the command takes', async () => {
    const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
    for (const args of [['--version'], ['eval', '--version']]) {
      const r = await runCli(args[0], args.slice(1));
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), version);
    }
    const help = await runCli('eval', ['--help']);
    assert.equal(help.code, 0);
    for (const flag of ['--model', '--exclude', '--whole-word', '--max-batches', '--threads', '--version']) assert.match(help.stdout, new RegExp(`${flag}\\b`));
    const train = await runCli('train', ['--help']);
    assert.match(train.stdout, /--masking uniform\|surprisal/);
  });

  it('download: generated --help, and its argument errors are usage errors (stderr, nothing fetched)', async () => {
    const help = await runCli('download', ['--help']);
    assert.equal(help.code, 0);
    for (const flag of ['--weights auto\\|safetensors\\|onnx\\|quantized', '--json', '--version', 'HF_ENDPOINT']) assert.match(help.stdout, new RegExp(flag));
    const none = await runCli('download', []);
    assert.equal(none.code, 2);
    assert.equal(none.stdout, '');
    assert.match(none.stderr, /missing <org\/name>\[@revision\]/);
    const weights = await runCli('download', ['org/name', '--weights', 'onx']);
    assert.equal(weights.code, 1);
    assert.match(weights.stderr, /--weights must be auto, safetensors, onnx or quantized, not "onx" \(did you mean onnx\?\)/);
    const id = await runCli('download', ['../etc']);
    assert.equal(id.code, 1);
    assert.match(id.stderr, /"\.\.\/etc" is not a Hub model id/);
  });

  it('eval without --model evaluates the bundled model, as fill does, and counts one file as one file', async () => {
    const r = await runCli('eval', [file, '--max-batches', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, / on 1 file \(/);
  });
});
