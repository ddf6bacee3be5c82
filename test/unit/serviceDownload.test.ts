// Hub downloads in the service over the real LSP (the bundled service process, a local Hub over HTTP): the download
// request's progress events and LSP cancellation, the editor's proxy passed along, and a cloze.model naming an uncached
// Hub id fetched visibly (events) before it loads — or, cancelled, leaving the current model in place.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancellationTokenSource, createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { DownloadEvent, DownloadReply, ModelStatus, Notice, ServiceSettings } from '../../src/protocol';
import { FakeHub, repoFromFolder } from '../hubServer';
import { fixture, repoRoot } from '../paths';
import { TestProxy } from '../proxyServer';

const skip = (f: string) => f === 'model.onnx' || f.startsWith('reference');

describe('Hub downloads in the service (LSP)', function () {
  this.timeout(120_000);
  const hub = new FakeHub();
  let tmp: string;
  let child: ChildProcess;
  let conn: MessageConnection;
  const events: DownloadEvent[] = [];
  const notices: Notice[] = [];
  const base: ServiceSettings = { model: '', bundledModel: fixture('bert-tiny-wordpiece'), devices: ['cpu'], topK: 5, contextTokens: 128, maxFileSizeMB: 5 };

  before(async function () {
    if (!existsSync(path.join(repoRoot, 'dist', 'server.js'))) this.skip();
    await hub.start();
    for (const id of ['bert-tiny', 'bert-tiny-2', 'bert-tiny-3', 'roberta-tiny', 'proxied']) {
      hub.repos.set(`cloze-test/${id}`, repoFromFolder(fixture(id.startsWith('roberta') ? 'roberta-tiny-bpe' : 'bert-tiny-wordpiece'), { skip }));
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-svc-dl-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HF_ENDPOINT: hub.endpoint, HF_HOME: path.join(tmp, 'hf'), CLOZE_CACHE: path.join(tmp, 'cloze') };
    for (const k of ['HF_HUB_OFFLINE', 'HF_TOKEN', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'HF_HUB_CACHE']) delete env[k];
    child = fork(path.join(repoRoot, 'dist', 'server.js'), ['--node-ipc'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env });
    conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    conn.onNotification('cloze/download/event', (e: DownloadEvent) => void events.push(e));
    conn.onNotification('cloze/notice', (n: Notice) => void notices.push(n));
    conn.listen();
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: base });
    await conn.sendNotification('initialized', {});
    assert.equal((await conn.sendRequest<ModelStatus>('cloze/status')).state, 'ready');
  });
  beforeEach(() => {
    events.length = 0;
    notices.length = 0;
    hub.served.length = 0;
    hub.throttle = undefined;
  });
  after(async () => {
    conn?.dispose();
    child?.kill();
    await hub.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const blobsOf = (id: string) => path.join(tmp, 'hf', 'hub', `models--cloze-test--${id}`, 'blobs');

  it('cloze/download: start, progress (bytes, speed) and end events, and the snapshot in the reply', async () => {
    const r = await conn.sendRequest<DownloadReply>('cloze/download', { id: 'a', repoId: 'cloze-test/bert-tiny' });
    assert.ok(r.dir.includes(path.join('models--cloze-test--bert-tiny', 'snapshots')), r.dir);
    assert.ok(existsSync(path.join(r.dir, 'model.safetensors')));
    const mine = events.filter((e) => e.id === 'a');
    assert.equal(mine[0].kind, 'start');
    assert.equal(mine.at(-1)!.kind, 'end');
    assert.equal(mine.at(-1)!.error, undefined);
    const progress = mine.filter((e) => e.kind === 'progress').map((e) => e.progress!);
    assert.ok(progress.length >= 1);
    assert.equal(progress.at(-1)!.bytes, progress.at(-1)!.total);
    assert.ok(progress.every((p) => p.bytesPerSecond > 0 && p.bytes <= p.total));
    assert.ok(mine.every((e) => e.origin === 'request'));
  });

  it('LSP cancellation stops the download, keeps the partial file, and the next request resumes it', async () => {
    hub.throttle = { bytes: 64 * 1024, ms: 30 };
    const cts = new CancellationTokenSource();
    const stop = setInterval(() => events.some((e) => e.id === 'b' && e.kind === 'progress' && e.progress!.fileBytes > 200_000) && cts.cancel(), 10);
    try {
      await assert.rejects(conn.sendRequest('cloze/download', { id: 'b', repoId: 'cloze-test/bert-tiny-2' }, cts.token));
    } finally {
      clearInterval(stop);
    }
    hub.throttle = undefined;
    // The service's end event arrives after it noticed the cancellation.
    for (let i = 0; i < 100 && !events.some((e) => e.id === 'b' && e.kind === 'end'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(events.find((e) => e.id === 'b' && e.kind === 'end')?.cancelled, true);
    const partial = readdirSync(blobsOf('bert-tiny-2')).find((f) => f.endsWith('.incomplete'));
    assert.ok(partial, 'the partial file is kept');
    const have = statSync(path.join(blobsOf('bert-tiny-2'), partial)).size;
    await conn.sendRequest<DownloadReply>('cloze/download', { id: 'b2', repoId: 'cloze-test/bert-tiny-2' });
    assert.equal(hub.requests(/^\/cdn\//).at(-1)!.range, `bytes=${have}-`);
  });

  it("the editor's proxy settings in the request are used by the service", async () => {
    const proxy = await new TestProxy().start();
    try {
      await conn.sendRequest<DownloadReply>('cloze/download', { id: 'p', repoId: 'cloze-test/proxied', proxy: { proxy: proxy.url } });
      assert.ok(proxy.seen.length >= 1, 'the download went through the proxy');
    } finally {
      await proxy.stop();
    }
  });

  it('cloze.model naming an uncached Hub id: the service downloads it with events (origin setting), then loads it', async () => {
    const st = await conn.sendRequest<ModelStatus>('cloze/configure', { ...base, model: 'cloze-test/roberta-tiny' });
    assert.equal(st.state, 'ready');
    assert.equal(st.model, 'roberta-tiny');
    const mine = events.filter((e) => e.repoId === 'cloze-test/roberta-tiny');
    assert.deepEqual([mine[0].kind, mine.at(-1)!.kind], ['start', 'end']);
    assert.ok(mine.every((e) => e.origin === 'setting'));
    assert.ok(mine.some((e) => e.kind === 'progress' && e.progress!.file === 'model.safetensors'));
    // Cached now: configuring it again downloads nothing.
    events.length = 0;
    await conn.sendRequest<ModelStatus>('cloze/configure', { ...base, model: 'cloze-test/roberta-tiny' });
    assert.deepEqual(events, []);
  });

  it('a setting download cancelled (cloze/download/cancel) keeps the current model and says so', async () => {
    hub.throttle = { bytes: 32 * 1024, ms: 30 };
    const stop = setInterval(() => {
      const start = events.find((e) => e.kind === 'start' && e.origin === 'setting');
      if (start && events.some((e) => e.kind === 'progress' && e.id === start.id)) void conn.sendNotification('cloze/download/cancel', { id: start.id });
    }, 10);
    let st: ModelStatus;
    try {
      st = await conn.sendRequest<ModelStatus>('cloze/configure', { ...base, model: 'cloze-test/bert-tiny-3' });
    } finally {
      clearInterval(stop);
      hub.throttle = undefined;
    }
    assert.equal(st.state, 'ready');
    assert.equal(st.model, 'roberta-tiny', 'the model loaded before stays');
    assert.equal(events.at(-1)!.cancelled, true);
    assert.ok(notices.some((n) => /download of cloze-test\/bert-tiny-3 was cancelled.*Still using roberta-tiny/.test(n.message)), JSON.stringify(notices));
    assert.equal(existsSync(path.join(tmp, 'hf', 'hub', 'models--cloze-test--bert-tiny-3', 'snapshots')), false);
  });
});
