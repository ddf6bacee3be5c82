// What a training corpus must never take in: credentials, unbounded amounts of text, or a held-out side that swallows the data.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import type { ModelHost } from '../../src/server/modelHost';
import { TrainingHost } from '../../src/server/training';
import { collectCorpus, WORKSPACE_CORPUS_BYTES } from '../../src/train/corpus';
import { loadFramingTokenizer } from '../../src/core/tokenizer';
import { packDocuments } from '../../src/train/packer';
import { isSecretPath, redactSecrets } from '../../src/train/secrets';
import { splitFiles } from '../../src/train/split';
import { gatherCorpus } from '../../src/train/trainer';
import { fixture, repoRoot } from '../paths';

const sourceDir = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source');
const code = (i: number): string => `export function handler${i}(request, response) {\n  const items = request.body.items.filter((x) => x.count > ${i});\n  return response.json({ total: items.length });\n}\n`;

// Well-known example credentials (AWS's documentation pair, a GitHub-shaped token, an OpenSSH-shaped key block).
const AWS_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const GH_TOKEN = 'ghp_R8f2kLq9ZxT4mW7vYb1nC3dE5gH6jK0pQs2u';
const SLACK = 'xoxb-2211334455-9988776655-Zq8WcT3vLp1Rk';
const KEY_BODY = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';
const DOTENV_VALUE = 'postgres://admin:Sup3rS3cretPassw0rd@db.internal:5432/app';

describe('training corpus: secrets', () => {
  let ws: string;
  before(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'cloze-secrets-'));
    const w = (rel: string, text: string): void => {
      mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
      writeFileSync(path.join(ws, rel), text);
    };
    w('.env', `DATABASE_URL=${DOTENV_VALUE}\nAWS_SECRET_ACCESS_KEY=${AWS_SECRET}\n`);
    w('.env.production', `API_TOKEN=${GH_TOKEN}\n`);
    w('id_rsa', `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n`);
    w('deploy/aws-credentials.json', `{ "id": "${AWS_ID}" }\n`);
    w('.ssh/config', `Host prod\n  IdentityFile ~/.ssh/id_ed25519\n  # ${SLACK}\n`);
    w('src/aws.ts', `import { S3 } from 'aws-sdk';\n\n// Talks to the bucket.\nconst s3 = new S3({ accessKeyId: '${AWS_ID}', secretAccessKey: '${AWS_SECRET}' });\nexport const slack = '${SLACK}';\nexport default s3;\n`);
    w('src/key.ts', `export const KEY = \`-----BEGIN RSA PRIVATE KEY-----\n${KEY_BODY}\n-----END RSA PRIVATE KEY-----\`;\nexport const token = '${GH_TOKEN}';\n`);
    for (let i = 0; i < 6; i++) w(`src/handler${i}.ts`, code(i));
  });
  after(() => rmSync(ws, { recursive: true, force: true }));

  const SECRETS = [AWS_ID, AWS_SECRET, GH_TOKEN, SLACK, KEY_BODY, 'Sup3rS3cretPassw0rd', 'BEGIN OPENSSH PRIVATE KEY', 'BEGIN RSA PRIVATE KEY'];

  it('no byte of a .env, a key file, a credentials file or a key in source reaches the training text', async () => {
    const corpus = await gatherCorpus([ws]);
    const text = corpus.files.map((f) => f.text).join('\n');
    for (const s of SECRETS) assert.ok(!text.includes(s), `"${s}" reached the training text`);
    const names = corpus.files.map((f) => f.rel).sort();
    assert.deepEqual(names, ['src/aws.ts', 'src/handler0.ts', 'src/handler1.ts', 'src/handler2.ts', 'src/handler3.ts', 'src/handler4.ts', 'src/handler5.ts', 'src/key.ts']);
    // The source around a key is still training text.
    assert.match(text, /const s3 = new S3\(\{ accessKeyId: 'REDACTED', secretAccessKey: 'REDACTED' \}\);/);
    const secretSkips = corpus.skipped.filter((s) => s.reason.startsWith('secrets:')).map((s) => path.relative(ws, s.path)).sort();
    assert.deepEqual(secretSkips, ['.env', '.env.production', '.ssh', 'deploy/aws-credentials.json', 'id_rsa']);
    assert.deepEqual(corpus.redacted?.map((r) => [path.relative(ws, r.path), r.count]), [['src/aws.ts', 3], ['src/key.ts', 2]]);
  });

  it('also refuses a key file named explicitly as an input', async () => {
    const corpus = await collectCorpus([path.join(ws, '.env'), path.join(ws, 'id_rsa'), path.join(ws, 'src', 'handler0.ts')]);
    assert.deepEqual(corpus.files.map((f) => f.rel), ['handler0.ts']);
    assert.equal(corpus.skipped.filter((s) => s.reason.startsWith('secrets:')).length, 2);
  });

  it('the training preview counts them as "secrets" and "secret-like strings replaced"', async function () {
    this.timeout(60_000);
    const engine = await Engine.load(fixture('bert-tiny-wordpiece'), { devices: ['cpu'] });
    try {
      const host = { ready: async () => engine } as unknown as ModelHost;
      const training = new TrainingHost(host, { progress: () => undefined, evaluation: () => undefined, log: () => undefined });
      const all = ['.env', '.env.production', 'id_rsa', 'deploy/aws-credentials.json', 'src/aws.ts', 'src/key.ts', ...Array.from({ length: 6 }, (_, i) => `src/handler${i}.ts`)];
      const p = await training.preview({ folders: [ws], files: all.map((f) => path.join(ws, f)), exclude: [] });
      assert.equal(p.trainFiles + p.heldOutFiles, 8);
      assert.deepEqual(p.skipped.find((s) => s.reason === 'secrets'), { reason: 'secrets', count: 4 });
      assert.deepEqual(p.skipped.find((s) => s.reason === 'secret-like strings replaced'), { reason: 'secret-like strings replaced', count: 5 });
    } finally {
      await engine.dispose();
    }
  });

  it('names the usual credential files, and leaves ordinary source and real projects alone', async () => {
    for (const p of ['.env', '.env.local', 'prod.env', 'server.pem', 'tls/server.key', 'id_ed25519.pub', 'store.p12', 'vault.kdbx', '.npmrc', '.pypirc', '.netrc', 'gcp-credentials.json', 'client_secret.json', '.aws/', 'infra/terraform.tfstate']) {
      assert.ok(isSecretPath(p), p);
    }
    for (const p of ['src/index.ts', 'README.md', 'environment.ts', 'keyboard.ts', 'docs/keys.md', 'package.json']) assert.ok(!isSecretPath(p), p);
    // Hashes and identifiers are not keys; real code keeps its text.
    const plain = 'const veryLongDescriptiveIdentifierNameForTheHandler = computeTheThingFromTheOtherThing(a_b_c_d_e_f_g);\nimport x from "../../some/deeply/nested/module/path/in/the/repo";\nconst ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";\n<div class="sk-learn-compatible-estimator-card">\n';
    assert.deepEqual(redactSecrets(plain), { text: plain, count: 0 });
    const corpus = await collectCorpus([sourceDir]);
    const replaced = (corpus.redacted ?? []).reduce((n, r) => n + r.count, 0);
    const bytes = corpus.files.reduce((n, f) => n + f.bytes, 0);
    assert.equal(replaced, 0, `${replaced} strings replaced in ${bytes} bytes of real source`);
  });
});

describe('training corpus: size caps', function () {
  this.timeout(120_000);
  let ws: string;
  before(() => (ws = mkdtempSync(path.join(os.tmpdir(), 'cloze-caps-'))));
  after(() => rmSync(ws, { recursive: true, force: true }));

  /** Peak resident memory (MB) of a process that collects a corpus from `dir`. */
  const peakMb = (dir: string): { peak: number; reasons: string[] } => {
    const corpusJs = path.join(__dirname, '..', '..', 'src', 'train', 'corpus.js');
    const script = `require(${JSON.stringify(corpusJs)}).collectCorpus([${JSON.stringify(dir)}]).then((c) => {
      process.stdout.write(JSON.stringify({ peak: process.resourceUsage().maxRSS / 1024, reasons: c.skipped.map((s) => s.reason) }));
    });`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { peak: number; reasons: string[] };
  };

  it('skips a 200 MB file by its size without reading it', () => {
    const small = path.join(ws, 'small');
    mkdirSync(small);
    writeFileSync(path.join(small, 'a.ts'), code(1));
    const base = peakMb(small);
    const withHuge = path.join(ws, 'huge');
    mkdirSync(withHuge);
    writeFileSync(path.join(withHuge, 'a.ts'), code(1));
    writeFileSync(path.join(withHuge, 'dump.log'), '');
    truncateSync(path.join(withHuge, 'dump.log'), 200 * 1024 * 1024); // sparse: no disk used, 200 MB if read
    const huge = peakMb(withHuge);
    assert.deepEqual(huge.reasons, ['huge: 200.0 MiB is over the 5.0 MiB limit']);
    assert.ok(huge.peak - base.peak < 60, `peak memory ${base.peak.toFixed(0)} MB → ${huge.peak.toFixed(0)} MB: the file was read`);
  });

  it('stops taking files at the corpus cap, the same ones every time, and says why', async () => {
    const dir = path.join(ws, 'many');
    mkdirSync(dir);
    for (let i = 0; i < 10; i++) writeFileSync(path.join(dir, `f${i}.ts`), code(i));
    const size = Buffer.byteLength(code(5));
    const a = await collectCorpus([dir], { maxCorpusBytes: 4 * size + 10 });
    assert.deepEqual(a.files.map((f) => f.rel), ['f0.ts', 'f1.ts', 'f2.ts', 'f3.ts']);
    assert.equal(a.skipped.length, 6);
    assert.ok(a.skipped.every((s) => s.reason.startsWith('over the corpus cap:')), a.skipped[0].reason);
    const b = await collectCorpus([dir], { maxCorpusBytes: 4 * size + 10 });
    assert.deepEqual(b.files.map((f) => f.sha256), a.files.map((f) => f.sha256));
    // The command line has no cap unless asked; Train on Workspace caps at 200 MiB.
    assert.equal((await collectCorpus([dir])).files.length, 10);
    assert.equal(WORKSPACE_CORPUS_BYTES, 200 * 1024 * 1024);
  });
});

describe('held-out split by size', () => {
  it('one huge file and many small ones: the held-out side holds about 10% of the tokens', async () => {
    // Under a split by file count, docs/handbook-0.md (hash 0.063 < 0.1) was held out: more than half the text.
    const handbook = Array.from({ length: 400 }, (_, i) => `Section ${i}. The service answers requests for the handler in order, and each answer names its source.\n`).join('');
    const files = [
      { rel: 'docs/handbook-0.md', text: handbook, bytes: Buffer.byteLength(handbook) },
      ...Array.from({ length: 60 }, (_, i) => ({ rel: `src/handler${i}.ts`, text: code(i), bytes: Buffer.byteLength(code(i)) })),
    ];
    const tok = await loadFramingTokenizer(fixture('bert-tiny-wordpiece'));
    const tokens = async (fs: readonly { text: string }[]): Promise<number> => (await packDocuments(tok, fs.map((f) => f.text), 64)).tokens;
    const total = await tokens(files);
    const s = splitFiles(files, { heldOutFraction: 0.1 });
    const held = await tokens(s.heldOut);
    const smallest = Math.min(...(await Promise.all(files.map((f) => tokens([f])))));
    assert.ok(!s.heldOut.some((f) => f.rel === 'docs/handbook-0.md'), 'the huge file trains');
    assert.ok(s.heldOut.length >= 1 && s.train.length >= 1);
    assert.ok(held <= 0.1 * total + smallest, `held-out ${held} of ${total} tokens`);
    assert.ok(held >= 0.05 * total, `held-out ${held} of ${total} tokens is still a useful measure`);
    assert.deepEqual(splitFiles(files, { heldOutFraction: 0.1 }), s, 'deterministic');
    assert.deepEqual(splitFiles([...files].reverse(), { heldOutFraction: 0.1 }).heldOut.map((f) => f.rel).sort(), s.heldOut.map((f) => f.rel).sort(), 'independent of the input order');
  });

  it('keeps the old split for runs planned before the cap, so they resume on the same data', () => {
    const files = Array.from({ length: 200 }, (_, i) => ({ rel: `src/file-${i}.ts` }));
    const old = splitFiles(files, { heldOutFraction: 0.1, by: 'hash' });
    // The old rule: a file is held out when its path hash is under the fraction, whatever else is in the corpus.
    const fewer = splitFiles(files.slice(0, 100), { heldOutFraction: 0.1, by: 'hash' });
    assert.deepEqual(fewer.heldOut, old.heldOut.filter((f) => files.indexOf(f) < 100));
    assert.notDeepEqual(old.heldOut, splitFiles(files, { heldOutFraction: 0.1 }).heldOut);
  });

  it('holds out at least one file even when every file is bigger than the cap', () => {
    const files = [{ rel: 'a', bytes: 500 }, { rel: 'b', bytes: 100 }, { rel: 'c', bytes: 900 }];
    const s = splitFiles(files, { heldOutFraction: 0.05 });
    assert.deepEqual(s.heldOut.map((f) => f.rel), ['b'], 'the smallest');
  });
});
