// Hub downloads against a local HTTP server in the Hub's URL layout: by id into the HF cache, verified, resumed,
// re-fetched when damaged, offline from the cache, and the model then fills like the PyTorch reference.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Engine } from '../../src/core/engine';
import { ClozeError } from '../../src/core/errors';
import { downloadModel, type DownloadProgress } from '../../src/core/hub/download';
import { hubSettings } from '../../src/core/hub/settings';
import { parseRepoSpec } from '../../src/protocol/repoId';
import { FakeHub, repoFromFolder } from '../hubServer';
import { TestProxy } from '../proxyServer';
import { HubConnection, proxyFor } from '../../src/core/hub/network';
import { ModelHost } from '../../src/server/modelHost';
import { fixture, repoRoot } from '../paths';
import { SHARDS, writeShards } from '../shards';
import { openModel } from '../../src/train/modelSource';

interface RefCase { texts: string[]; input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][]; masks: { batch_index: number; position: number; top_ids: number[]; top_logits: number[] }[] }

const ENV_KEYS = ['HF_ENDPOINT', 'HF_HOME', 'HF_HUB_CACHE', 'HF_TOKEN', 'HF_HUB_OFFLINE', 'CLOZE_CACHE', 'HUGGING_FACE_HUB_TOKEN', 'TRANSFORMERS_OFFLINE', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];
/** Fixture folders as Hub repositories: safetensors only (no model.onnx), plus files Cloze must not fetch. */
const skip = (f: string) => f === 'model.onnx' || f.startsWith('reference');
const extra = { 'pytorch_model.bin': Buffer.alloc(4096, 7), 'README.md': '# a model card\n', '.gitattributes': '*.safetensors filter=lfs\n' };

async function referenceWorst(engine: Engine, name: 'bert-tiny-wordpiece' | 'roberta-tiny-bpe'): Promise<number> {
  const ref = JSON.parse(readFileSync(path.join(fixture(name), 'reference.json'), 'utf8')) as { cases: RefCase[] };
  let worst = 0;
  for (const c of ref.cases) {
    const { data, dims } = await engine.runBatch(c.input_ids, c.attention_mask, c.token_type_ids);
    const [, S, V] = dims;
    for (const m of c.masks) m.top_ids.forEach((id, k) => (worst = Math.max(worst, Math.abs(data[(m.batch_index * S + m.position) * V + id] - m.top_logits[k]))));
  }
  return worst;
}

async function rejection(p: Promise<unknown>): Promise<ClozeError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ClozeError, `expected a ClozeError, got ${e}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('Hugging Face Hub download (local HTTP server)', function () {
  this.timeout(120_000);
  let hub: FakeHub;
  let tmp: string;
  const saved: Record<string, string | undefined> = {};
  const settings = () => hubSettings();

  before(async () => {
    for (const k of ENV_KEYS) saved[k] = process.env[k];
    hub = await new FakeHub().start();
    hub.repos.set('cloze-test/bert-tiny', repoFromFolder(fixture('bert-tiny-wordpiece'), { skip, extra }));
    hub.repos.set('cloze-test/roberta-tiny', repoFromFolder(fixture('roberta-tiny-bpe'), { skip, extra }));
    hub.repos.set('cloze-test/gated', repoFromFolder(fixture('bert-tiny-wordpiece'), { skip, token: 'hf_secret' }));
    hub.repos.set('cloze-test/bin-only', repoFromFolder(fixture('bert-tiny-wordpiece'), { skip: (f) => skip(f) || f === 'model.safetensors', extra }));
  });
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-hub-'));
    for (const k of ENV_KEYS) delete process.env[k];
    process.env.HF_ENDPOINT = hub.endpoint;
    process.env.HF_HOME = path.join(tmp, 'hf');
    process.env.CLOZE_CACHE = path.join(tmp, 'cloze-cache');
    hub.served.length = 0;
    hub.cuts.length = 0;
    hub.corrupt.clear();
    hub.bareListing = false;
    hub.throttle = undefined;
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));
  after(async () => {
    await hub.stop();
    for (const k of ENV_KEYS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('parses Hub ids and leaves paths alone', () => {
    assert.deepEqual(parseRepoSpec('FacebookAI/roberta-base'), { repoId: 'FacebookAI/roberta-base', revision: 'main' });
    assert.deepEqual(parseRepoSpec('org/name@v1.0'), { repoId: 'org/name', revision: 'v1.0' });
    for (const notId of ['/abs/path', './rel/x', 'single', 'a/b/c', '../x', 'a/..', 'org/na--me', '~/models/x']) assert.equal(parseRepoSpec(notId), undefined, notId);
  });

  for (const [id, name] of [['cloze-test/bert-tiny', 'bert-tiny-wordpiece'], ['cloze-test/roberta-tiny', 'roberta-tiny-bpe']] as const) {
    it(`${id}: downloaded by id into the HF cache layout, then the Engine loads the id and reproduces the reference`, async () => {
      const progress: DownloadProgress[] = [];
      const r = await downloadModel(id, { ...settings(), onProgress: (p) => progress.push(p) });
      const repoDir = path.join(tmp, 'hf', 'hub', `models--${id.replace('/', '--')}`);
      assert.equal(r.dir, path.join(repoDir, 'snapshots', hub.repos.get(id)!.sha));
      assert.equal(readFileSync(path.join(repoDir, 'refs', 'main'), 'utf8'), r.sha);
      const expected = name.startsWith('bert') ? ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'model.safetensors'] : ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'model.safetensors'];
      assert.deepEqual(r.files, expected);
      // Snapshot entries are relative links into blobs/, named by the LFS sha256 for the weights.
      const link = path.join(r.dir, 'model.safetensors');
      assert.ok(lstatSync(link).isSymbolicLink());
      assert.match(readlinkSync(link), /^\.\.[\\/]\.\.[\\/]blobs[\\/][0-9a-f]{64}$/);
      assert.deepEqual(readFileSync(link), readFileSync(path.join(fixture(name), 'model.safetensors')));
      assert.ok(!readdirSync(path.join(repoDir, 'blobs')).some((f) => f.endsWith('.incomplete')));
      // Only what the model needs: no pytorch_model.bin, README.md, .gitattributes.
      assert.deepEqual(hub.requests(/pytorch_model|README|gitattributes/), []);
      assert.equal(hub.requests(/^\/cdn\//).length, 1, 'the weights came through the redirect');
      const last = progress[progress.length - 1];
      assert.equal(last.bytes, last.total);
      assert.ok(last.bytesPerSecond > 0);

      const engine = await openModel(id, { devices: ['cpu'] });
      try {
        // The graph Cloze builds sits beside the snapshot (by commit and weights hash): the snapshot is what the Hub serves.
        assert.equal(path.dirname(engine.info.dir), path.join(repoDir, '.cloze-onnx'));
        assert.match(path.basename(engine.info.dir), new RegExp(`^${r.sha}-[0-9a-f]{16}$`));
        assert.deepEqual(readdirSync(r.dir).sort(), [...expected].sort());
        assert.equal(engine.info.name, id.split('/')[1]);
        const worst = await referenceWorst(engine, name);
        assert.ok(worst <= 1e-4, `max |diff| ${worst}`);
      } finally {
        await engine.dispose();
      }
    });
  }

  it('HTTP_PROXY / HTTPS_PROXY: every Hub request goes through the proxy; NO_PROXY bypasses it', async () => {
    const proxy = await new TestProxy().start();
    try {
      const hubHost = new URL(hub.endpoint).host;
      process.env.HTTP_PROXY = proxy.url;
      const r = await downloadModel('cloze-test/bert-tiny', settings());
      assert.deepEqual(readFileSync(path.join(r.dir, 'model.safetensors')), readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'model.safetensors')));
      assert.ok(proxy.seen.length >= 1, 'the proxy saw the download');
      assert.ok(proxy.seen.every((p) => p.target === hubHost || p.target.startsWith(`${hub.endpoint}/`)), JSON.stringify(proxy.seen));
      // Each request of the download (listing, small files, redirect, CDN) reached the Hub through the proxy's tunnels.
      assert.ok(hub.served.length >= 8, `${hub.served.length} requests`);

      rmSync(path.join(tmp, 'hf'), { recursive: true, force: true });
      proxy.seen.length = 0;
      hub.served.length = 0;
      process.env.NO_PROXY = 'localhost,127.0.0.1';
      await downloadModel('cloze-test/bert-tiny', settings());
      assert.equal(proxy.seen.length, 0, 'NO_PROXY hosts are reached directly');
      assert.ok(hub.served.length >= 8);
    } finally {
      await proxy.stop();
    }
  });

  it("the editor's http.proxy (with http.proxyAuthorization) wins over HTTP_PROXY, and http.noProxy bypasses both", async () => {
    const proxy = await new TestProxy().start();
    const dead = await new TestProxy().start();
    const deadUrl = dead.url;
    await dead.stop();
    try {
      process.env.HTTP_PROXY = deadUrl;
      proxy.requireAuthorization = 'Basic Y2xvemU6c2VjcmV0';
      const r = await downloadModel('cloze-test/roberta-tiny', { ...settings(), proxy: { proxy: proxy.url, proxyAuthorization: 'Basic Y2xvemU6c2VjcmV0' } });
      assert.ok(existsSync(path.join(r.dir, 'model.safetensors')));
      assert.ok(proxy.seen.length >= 1 && proxy.seen.every((p) => p.authorization === 'Basic Y2xvemU6c2VjcmV0'), JSON.stringify(proxy.seen));

      rmSync(path.join(tmp, 'hf'), { recursive: true, force: true });
      proxy.seen.length = 0;
      await downloadModel('cloze-test/roberta-tiny', { ...settings(), proxy: { proxy: proxy.url, noProxy: ['127.0.0.1'] } });
      assert.equal(proxy.seen.length, 0);
      // A wrong proxy password: the proxy's refusal is a network error that names the proxy.
      rmSync(path.join(tmp, 'hf'), { recursive: true, force: true });
      const err = await rejection(downloadModel('cloze-test/roberta-tiny', { ...settings(), proxy: { proxy: proxy.url, proxyAuthorization: 'Basic d3Jvbmc=' } }));
      assert.equal(err.code, 'network');
      assert.match(err.userMessage, new RegExp(`through the proxy ${proxy.url.replace(/[.]/g, '\\.')}`));
    } finally {
      await proxy.stop();
    }
  });

  it('an unreachable proxy: the error names it and says where proxies are set', async () => {
    const dead = await new TestProxy().start();
    const deadUrl = dead.url;
    await dead.stop();
    process.env.HTTPS_PROXY = 'http://unused.invalid:1';
    process.env.HTTP_PROXY = deadUrl;
    const err = await rejection(downloadModel('cloze-test/bert-tiny', settings()));
    assert.equal(err.code, 'network');
    assert.match(err.userMessage, /Cannot reach the Hugging Face Hub at http:\/\/127\.0\.0\.1:\d+ through the proxy http:\/\/127\.0\.0\.1:\d+ .*http\.proxy.*HTTPS_PROXY/);
  });

  it('http.proxyStrictSSL=false accepts a self-signed certificate (direct and through a proxy); the default refuses it', async function () {
    const key = path.join(tmp, 'key.pem');
    const cert = path.join(tmp, 'cert.pem');
    try {
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
    } catch {
      this.skip(); // no openssl to make a certificate
    }
    const https = await import('node:https');
    const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => res.end('{"sha":"tls"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/api/models/x/y/revision/main`;
    const proxy = await new TestProxy().start();
    try {
      const strict = new HubConnection({}, {});
      await assert.rejects(strict.fetch(url), (e: unknown) => /self[- ]signed|certificate/i.test(String((e as { cause?: unknown }).cause ?? e)));
      await strict.close();
      for (const p of [{ strictSSL: false }, { strictSSL: false, proxy: proxy.url }]) {
        const lax = new HubConnection(p, {});
        assert.equal(await (await lax.fetch(url)).text(), '{"sha":"tls"}');
        await lax.close();
      }
      assert.ok(proxy.seen.length >= 1, 'the second fetch went through the proxy');
    } finally {
      await proxy.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('proxy choice follows the NO_PROXY rules (hosts, .domains, *.domains, ports, *)', () => {
    const env = { HTTPS_PROXY: 'http://p:3128', HTTP_PROXY: 'http://q:3128' };
    assert.equal(proxyFor('https://huggingface.co/api', {}, env), 'http://p:3128');
    assert.equal(proxyFor('http://hub.local/x', {}, env), 'http://q:3128');
    assert.equal(proxyFor('https://huggingface.co/x', {}, { ...env, NO_PROXY: '.huggingface.co' }), undefined);
    assert.equal(proxyFor('https://cdn-lfs.huggingface.co/x', {}, { ...env, NO_PROXY: '*.huggingface.co' }), undefined);
    assert.equal(proxyFor('https://nothuggingface.co/x', {}, { ...env, NO_PROXY: 'huggingface.co' }), 'http://p:3128');
    assert.equal(proxyFor('http://127.0.0.1:8080/x', {}, { ...env, NO_PROXY: '127.0.0.1:9090' }), 'http://q:3128');
    assert.equal(proxyFor('http://127.0.0.1:8080/x', {}, { ...env, NO_PROXY: '127.0.0.1:8080' }), undefined);
    assert.equal(proxyFor('https://a.b/x', {}, { ...env, no_proxy: '*' }), undefined);
    assert.equal(proxyFor('https://a.b/x', { proxy: 'http://editor:1' }, env), 'http://editor:1');
    assert.equal(proxyFor('https://a.b/x', { proxy: 'http://editor:1', noProxy: ['a.b'] }, env), undefined);
    assert.equal(proxyFor('https://a.b/x', {}, {}), undefined);
  });

  it('sharded safetensors: the index and every shard are downloaded, and the id reproduces the reference', async () => {
    const src = path.join(tmp, 'sharded-src');
    mkdirSync(src);
    writeShards(path.join(fixture('roberta-tiny-bpe'), 'model.safetensors'), src);
    const repo = repoFromFolder(fixture('roberta-tiny-bpe'), { skip: (f) => skip(f) || f === 'model.safetensors', extra: Object.fromEntries(['model.safetensors.index.json', ...SHARDS].map((f) => [f, readFileSync(path.join(src, f))])) });
    hub.repos.set('cloze-test/roberta-sharded', repo);
    const progress: DownloadProgress[] = [];
    const r = await downloadModel('cloze-test/roberta-sharded', { ...settings(), onProgress: (p) => progress.push(p) });
    assert.deepEqual(r.files.slice(-3), ['model.safetensors.index.json', ...SHARDS]);
    assert.equal(hub.requests(/^\/cdn\//).length, 2, 'both shards came through the redirect');
    for (const f of SHARDS) assert.deepEqual(readFileSync(path.join(r.dir, f)), readFileSync(path.join(src, f)));
    const last = progress[progress.length - 1];
    assert.equal(last.bytes, last.total);
    assert.ok(last.total > SHARDS.reduce((a, f) => a + statSync(path.join(src, f)).size, 0), 'the total counts every file');
    // A graph an earlier version built inside the snapshot is removed when the model loads.
    mkdirSync(path.join(r.dir, '.cloze-onnx'));
    writeFileSync(path.join(r.dir, '.cloze-onnx', 'cloze-source.json'), '{}');
    const engine = await openModel('cloze-test/roberta-sharded', { devices: ['cpu'] });
    try {
      assert.ok((await referenceWorst(engine, 'roberta-tiny-bpe')) <= 1e-4);
      assert.match(engine.info.dir, /models--cloze-test--roberta-sharded[\\/]\.cloze-onnx[\\/][0-9a-f]{40}-[0-9a-f]{16}$/);
    } finally {
      await engine.dispose();
    }
    assert.equal(existsSync(path.join(r.dir, '.cloze-onnx')), false);
    // Offline, the cached sharded snapshot is found (the index marks it whole).
    process.env.HF_HUB_OFFLINE = '1';
    const cached = await downloadModel('cloze-test/roberta-sharded', settings());
    assert.equal(cached.fromCache, true);
    assert.equal(cached.dir, r.dir);
  });

  it('a second download uses the verified cache and fetches nothing but the listing', async () => {
    await downloadModel('cloze-test/bert-tiny', settings());
    hub.served.length = 0;
    const r = await downloadModel('cloze-test/bert-tiny', settings());
    assert.equal(r.downloadedBytes, 0);
    assert.deepEqual(hub.served.map((s) => s.url), ['/api/models/cloze-test/bert-tiny/revision/main']);
  });

  it('an interrupted download resumes with a Range request where it stopped', async () => {
    const size = hub.repos.get('cloze-test/bert-tiny')!.files.get('model.safetensors')!.length;
    hub.cuts.push(100_000);
    const err = await rejection(downloadModel('cloze-test/bert-tiny', { ...settings(), retries: 0 }));
    assert.equal(err.code, 'network');
    assert.match(err.userMessage, /broke off after \d+ of \d+ bytes.*again/);
    const blobs = path.join(tmp, 'hf', 'hub', 'models--cloze-test--bert-tiny', 'blobs');
    const partial = readdirSync(blobs).find((f) => f.endsWith('.incomplete'))!;
    const have = statSync(path.join(blobs, partial)).size;
    assert.ok(have >= 100_000 && have < size, `partial ${have}`);
    assert.equal(existsSync(path.join(tmp, 'hf', 'hub', 'models--cloze-test--bert-tiny', 'snapshots')), false, 'nothing half-done in snapshots/');

    const r = await downloadModel('cloze-test/bert-tiny', settings());
    const cdn = hub.requests(/^\/cdn\//);
    assert.equal(cdn[cdn.length - 1].range, `bytes=${have}-`);
    assert.equal(cdn[cdn.length - 1].bytes, size - have);
    assert.deepEqual(readFileSync(path.join(r.dir, 'model.safetensors')), readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'model.safetensors')));
  });

  it('cancel (AbortSignal) stops the download, keeps the partial file, and the next download continues from it', async () => {
    hub.throttle = { bytes: 64 * 1024, ms: 20 };
    const abort = new AbortController();
    const err = await rejection(downloadModel('cloze-test/bert-tiny', { ...settings(), signal: abort.signal, onProgress: (p) => p.fileBytes > 300_000 && abort.abort() }));
    hub.throttle = undefined;
    assert.equal(err.code, 'cancelled');
    const blobs = path.join(tmp, 'hf', 'hub', 'models--cloze-test--bert-tiny', 'blobs');
    const partial = readdirSync(blobs).find((f) => f.endsWith('.incomplete'));
    assert.ok(partial, 'the partial file is kept');
    const have = statSync(path.join(blobs, partial)).size;
    assert.ok(have >= 300_000, `${have}`);
    await downloadModel('cloze-test/bert-tiny', settings());
    const cdn = hub.requests(/^\/cdn\//);
    assert.equal(cdn[cdn.length - 1].range, `bytes=${have}-`);
  });

  it('a connection that breaks mid-file is resumed automatically within one download', async () => {
    hub.cuts.push(50_000, 200_000);
    const progress: DownloadProgress[] = [];
    const r = await downloadModel('cloze-test/roberta-tiny', { ...settings(), onProgress: (p) => progress.push(p) });
    assert.ok(progress.every((p) => p.bytes <= p.total && p.fileBytes <= p.fileTotal), 'resumed bytes are counted once');
    assert.equal(progress[progress.length - 1].bytes, progress[progress.length - 1].total);
    const ranges = hub.requests(/^\/cdn\//).map((s) => s.range);
    assert.equal(ranges.length, 3);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    assert.deepEqual(readFileSync(path.join(r.dir, 'model.safetensors')), readFileSync(path.join(fixture('roberta-tiny-bpe'), 'model.safetensors')));
  });

  it('a damaged blob in the cache is detected and fetched again', async () => {
    const r = await downloadModel('cloze-test/bert-tiny', settings());
    const blob = path.join(path.dirname(path.dirname(r.dir)), 'blobs', path.basename(readlinkSync(path.join(r.dir, 'model.safetensors'))));
    const bytes = readFileSync(blob);
    bytes[1000] ^= 0x55;
    writeFileSync(blob, bytes);
    hub.served.length = 0;
    const logs: string[] = [];
    const again = await downloadModel('cloze-test/bert-tiny', { ...settings(), log: (m) => logs.push(m) });
    assert.ok(logs.some((l) => /model\.safetensors: the cached blob is damaged/.test(l)), logs.join('\n'));
    assert.equal(hub.requests(/^\/cdn\//).length, 1);
    assert.equal(again.downloadedBytes, bytes.length);
    assert.deepEqual(readFileSync(blob), readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'model.safetensors')));
  });

  it('content that does not match the Hub checksum is rejected and never reaches the cache', async () => {
    const weights = hub.repos.get('cloze-test/bert-tiny')!.files.get('model.safetensors')!;
    const { createHash } = await import('node:crypto');
    hub.corrupt.add(createHash('sha256').update(weights).digest('hex'));
    const err = await rejection(downloadModel('cloze-test/bert-tiny', settings()));
    assert.equal(err.code, 'download-corrupt');
    assert.match(err.userMessage, /model\.safetensors did not match its checksum/);
    const blobs = readdirSync(path.join(tmp, 'hf', 'hub', 'models--cloze-test--bert-tiny', 'blobs'));
    assert.ok(!blobs.some((b) => b.length === 64 || b.endsWith('.incomplete')), blobs.join(','));
  });

  it('without sizes in the listing, the resolve headers (X-Linked-ETag, X-Linked-Size) give the checksums', async () => {
    hub.bareListing = true;
    const r = await downloadModel('cloze-test/bert-tiny', settings());
    assert.ok(hub.requests(/\/resolve\//).some((s) => s.method === 'HEAD'));
    assert.deepEqual(readFileSync(path.join(r.dir, 'model.safetensors')), readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'model.safetensors')));
  });

  it('offline (HF_HUB_OFFLINE=1, server unreachable) a cached id loads from the cache; an uncached one says how to get it', async () => {
    await downloadModel('cloze-test/roberta-tiny', settings());
    const offlineHub = new FakeHub();
    await offlineHub.start();
    process.env.HF_ENDPOINT = offlineHub.endpoint;
    await offlineHub.stop(); // nothing listens there now
    process.env.HF_HUB_OFFLINE = '1';
    hub.served.length = 0;
    const engine = await openModel('cloze-test/roberta-tiny', { devices: ['cpu'] });
    try {
      assert.ok((await referenceWorst(engine, 'roberta-tiny-bpe')) <= 1e-4);
    } finally {
      await engine.dispose();
    }
    assert.equal(hub.served.length, 0);
    const err = await rejection(openModel('cloze-test/bert-tiny', { devices: ['cpu'] }));
    assert.equal(err.code, 'model-missing');
    assert.match(err.userMessage, /not in the Hugging Face cache.*HF_HUB_OFFLINE.*cloze download cloze-test\/bert-tiny/);
  });

  it('no network: a clear error for an uncached model, the cache for a cached one', async () => {
    await downloadModel('cloze-test/bert-tiny', settings());
    const gone = new FakeHub();
    await gone.start();
    const endpoint = gone.endpoint;
    await gone.stop();
    const err = await rejection(downloadModel('cloze-test/roberta-tiny', { ...settings(), endpoint }));
    assert.equal(err.code, 'network');
    assert.match(err.userMessage, /Cannot reach the Hugging Face Hub at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    const cached = await downloadModel('cloze-test/bert-tiny', { ...settings(), endpoint });
    assert.equal(cached.fromCache, true);
  });

  it('404 for an unknown repository or revision, 401 for a gated one (with how to set HF_TOKEN), and the token works', async () => {
    let err = await rejection(downloadModel('cloze-test/nope', settings()));
    assert.equal(err.code, 'hub-not-found');
    assert.match(err.userMessage, /There is no model cloze-test\/nope on the Hub/);
    // Through --model / cloze.model, where org/name might have been meant as a folder.
    err = await rejection(openModel('cloze-test/nope', { devices: ['cpu'] }));
    assert.match(err.userMessage, /There is no model cloze-test\/nope on the Hub.*There is no model folder .*cloze-test[\\/]nope either/);
    err = await rejection(downloadModel('cloze-test/bert-tiny', { ...settings(), revision: 'v9' }));
    assert.equal(err.code, 'hub-not-found');
    assert.match(err.userMessage, /cloze-test\/bert-tiny on the Hub has no revision v9/);
    err = await rejection(downloadModel('cloze-test/gated', settings()));
    assert.equal(err.code, 'hub-auth');
    assert.match(err.userMessage, /HTTP 401.*HF_TOKEN/);
    err = await rejection(downloadModel('cloze-test/gated', { ...settings(), token: 'wrong' }));
    assert.match(err.userMessage, /with your token/);
    process.env.HF_TOKEN = 'hf_secret';
    const r = await downloadModel('cloze-test/gated', settings());
    assert.ok(existsSync(path.join(r.dir, 'model.safetensors')));
    assert.equal(hub.requests(/^\/api\//).pop()!.authorization, 'Bearer hf_secret');
  });

  it('a repository with only pytorch_model.bin: the error names the file Cloze needs', async () => {
    const err = await rejection(downloadModel('cloze-test/bin-only', settings()));
    assert.match(err.userMessage, /has no model\.safetensors .*pytorch_model\.bin/);
    assert.deepEqual(hub.requests(/resolve|cdn/), [], 'nothing downloaded');
  });

  it('a revision pinned by commit (org/name@sha) resolves to that snapshot', async () => {
    const sha = hub.repos.get('cloze-test/bert-tiny')!.sha;
    const r = await downloadModel('cloze-test/bert-tiny', { ...settings(), revision: sha });
    assert.equal(r.sha, sha);
    assert.equal(existsSync(path.join(tmp, 'hf', 'hub', 'models--cloze-test--bert-tiny', 'refs', 'main')), false);
    const engine = await openModel(`cloze-test/bert-tiny@${sha}`, { devices: ['cpu'] });
    await engine.dispose();
  });

  it('the service loads cloze.model = org/name from the cache (ModelHost keeps the id, not a path)', async () => {
    await downloadModel('cloze-test/roberta-tiny', settings());
    process.env.HF_HUB_OFFLINE = '1';
    const statuses: string[] = [];
    const host = new ModelHost(() => undefined, (s) => statuses.push(`${s.state}:${s.model}`), () => undefined);
    try {
      const engine = await host.configure({ model: 'cloze-test/roberta-tiny', bundledModel: fixture('bert-tiny-wordpiece'), devices: ['cpu'], topK: 5, contextTokens: 128, maxFileSizeMB: 5 });
      assert.ok(engine);
      assert.equal(engine.info.maskToken, '<mask>');
      assert.deepEqual(statuses, ['loading:roberta-tiny', 'ready:roberta-tiny']);
    } finally {
      await host.dispose();
    }
  });

  it('CLI: cloze train --from org/name continues training a Hub model that has only vocab.txt (no tokenizer.json)', async function () {
    const cli = path.join(repoRoot, 'dist', 'cli.js');
    if (!existsSync(cli)) this.skip();
    hub.repos.set('cloze-test/bert-vocab-only', repoFromFolder(fixture('bert-tiny-wordpiece'), { skip: (f) => skip(f) || f === 'tokenizer.json' }));
    const out = path.join(tmp, 'run');
    const r = await promisify(execFile)(process.execPath, [cli, 'train', path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source', 'semver'), '--from', 'cloze-test/bert-vocab-only', '--out', out, '--steps', '2', '--seq', '64', '--json'], { env: { ...process.env }, encoding: 'utf8' });
    assert.match(r.stderr, /Downloading cloze-test\/bert-vocab-only/);
    const engine = await openModel(path.join(out, 'model'), { devices: ['cpu'] });
    try {
      assert.equal(engine.info.vocabSize, 6000);
      assert.equal((await engine.fill('This program is free [MASK].', { topK: 3 }))[0].candidates.length, 3);
    } finally {
      await engine.dispose();
    }
  });

  it('CLI: cloze download org/name, then cloze fill --model org/name --json gives the reference top token', async function () {
    const cli = path.join(repoRoot, 'dist', 'cli.js');
    if (!existsSync(cli)) this.skip();
    const run = promisify(execFile);
    const env = { ...process.env };
    // The bundled CLI reaches the Hub through HTTP_PROXY (Node's own fetch would ignore it).
    const proxy = await new TestProxy().start();
    let dl: { stdout: string; stderr: string };
    try {
      dl = await run(process.execPath, [cli, 'download', 'cloze-test/bert-tiny'], { env: { ...env, HTTP_PROXY: proxy.url }, encoding: 'utf8' });
      assert.ok(proxy.seen.length >= 1, 'the CLI used the proxy');
    } finally {
      await proxy.stop();
    }
    assert.match(dl.stdout.trim(), /models--cloze-test--bert-tiny[\\/]snapshots[\\/][0-9a-f]{40}$/);
    assert.match(dl.stderr, /model\.safetensors/);
    assert.match(dl.stderr, /through the proxy http:\/\/127\.0\.0\.1/);
    const fill = await run(process.execPath, [cli, 'fill', 'This program is free [MASK].', '--model', 'cloze-test/bert-tiny', '--json', '--top-k', '1'], { env: { ...env, HF_HUB_OFFLINE: '1' }, encoding: 'utf8' });
    const out = JSON.parse(fill.stdout) as { token: number; token_str: string }[];
    const ref = JSON.parse(readFileSync(path.join(fixture('bert-tiny-wordpiece'), 'reference.json'), 'utf8')) as { cases: RefCase[] };
    assert.equal(out[0].token, ref.cases[0].masks[0].top_ids[0]);
    assert.equal(out[0].token_str, 'software');
  });
});
