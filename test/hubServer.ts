// A local stand-in for the Hugging Face Hub over real HTTP (node:http): the API's revision JSON, resolve URLs with a
// 302 to a CDN path for LFS files, Range requests, 404s and 401s — so downloads are tested against the protocol.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface HubRepo {
  /** Files by repository path. */
  readonly files: Map<string, Buffer>;
  readonly sha: string;
  /** Needs `Authorization: Bearer <token>`. */
  readonly token?: string;
}

export interface Served {
  readonly method: string;
  readonly url: string;
  readonly range?: string;
  readonly authorization?: string;
  /** Body bytes sent (before any cut). */
  bytes: number;
}

const isLfs = (file: string) => /\.(safetensors|onnx|bin|onnx_data)$/.test(file);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

/** The files of a fixture folder (recursively), leaving out `skip` (names or prefixes), plus `extra`. */
export function repoFromFolder(dir: string, opts: { skip?: (f: string) => boolean; extra?: Record<string, Buffer | string>; token?: string; sha?: string } = {}): HubRepo {
  const files = new Map<string, Buffer>();
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel))) {
      const r = rel ? `${rel}/${e}` : e;
      if (opts.skip?.(r)) continue;
      if (statSync(path.join(dir, r)).isDirectory()) walk(r);
      else files.set(r, readFileSync(path.join(dir, r)));
    }
  };
  walk('');
  for (const [k, v] of Object.entries(opts.extra ?? {})) files.set(k, Buffer.isBuffer(v) ? v : Buffer.from(v));
  const sha = opts.sha ?? createHash('sha1').update([...files.keys()].sort().join('\n')).update(dir).digest('hex');
  return { files, sha, token: opts.token };
}

export class FakeHub {
  readonly repos = new Map<string, HubRepo>();
  readonly served: Served[] = [];
  /** Send only this many bytes of the next LFS bodies, then drop the connection (one entry per request). */
  readonly cuts: number[] = [];
  /** Serve these LFS blobs (by sha256) with one byte flipped. */
  readonly corrupt = new Set<string>();
  /** The API omits sizes and hashes (old Hub versions): clients must read the resolve headers. */
  bareListing = false;
  /** Send LFS bodies slowly: `bytes` every `ms` (so a progress notification can be seen, or a download cancelled). */
  throttle: { bytes: number; ms: number } | undefined;
  private server: http.Server | undefined;
  private readonly sockets = new Set<import('node:net').Socket>();

  get endpoint(): string {
    const a = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${a.port}`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  requests(pattern: RegExp): Served[] {
    return this.served.filter((s) => pattern.test(s.url));
  }

  private authorized(repo: HubRepo, req: http.IncomingMessage): boolean {
    return !repo.token || req.headers.authorization === `Bearer ${repo.token}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const record: Served = { method: req.method ?? 'GET', url: url.pathname, range: req.headers.range, authorization: req.headers.authorization, bytes: 0 };
    this.served.push(record);
    const notFound = (code: string) => {
      res.writeHead(404, { 'content-type': 'application/json', 'x-error-code': code });
      res.end(JSON.stringify({ error: code }));
    };
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(url.pathname);
    if (api) {
      const repo = this.repos.get(api[1]);
      if (!repo) return notFound('RepoNotFound');
      if (!this.authorized(repo, req)) {
        res.writeHead(401, { 'content-type': 'application/json', 'x-error-code': 'GatedRepo' });
        return void res.end(JSON.stringify({ error: 'Access to this model is restricted.' }));
      }
      const rev = decodeURIComponent(api[2]);
      if (rev !== 'main' && rev !== repo.sha) return notFound('RevisionNotFound');
      const siblings = [...repo.files].map(([rfilename, b]) =>
        this.bareListing ? { rfilename } : { rfilename, size: b.length, blobId: gitSha1(b), ...(isLfs(rfilename) ? { lfs: { sha256: sha256(b), size: b.length, pointerSize: 134 } } : {}) });
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ id: api[1], modelId: api[1], sha: repo.sha, siblings }));
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const repo = this.repos.get(resolve[1]);
      if (!repo) return notFound('RepoNotFound');
      if (!this.authorized(repo, req)) {
        res.writeHead(401);
        return void res.end();
      }
      if (resolve[2] !== 'main' && resolve[2] !== repo.sha) return notFound('RevisionNotFound');
      const file = resolve[3].split('/').map(decodeURIComponent).join('/');
      const body = repo.files.get(file);
      if (!body) return notFound('EntryNotFound');
      if (isLfs(file)) {
        // Large files live on a CDN: the Hub answers with a redirect and the LFS hash in X-Linked-ETag.
        const hash = sha256(body);
        res.writeHead(302, { location: `/cdn/${resolve[1]}/${hash}`, 'x-linked-etag': `"${hash}"`, 'x-linked-size': String(body.length), etag: `"${gitSha1(body)}"`, 'x-repo-commit': repo.sha });
        return void res.end();
      }
      return this.sendBody(req, res, body, `"${gitSha1(body)}"`, record, false);
    }
    const cdn = /^\/cdn\/([^/]+\/[^/]+)\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn) {
      const repo = this.repos.get(cdn[1]);
      const body = repo && [...repo.files.values()].find((b) => sha256(b) === cdn[2]);
      if (!body) return notFound('EntryNotFound');
      return this.sendBody(req, res, body, `"${cdn[2]}"`, record, true);
    }
    notFound('NotFound');
  }

  private sendBody(req: http.IncomingMessage, res: http.ServerResponse, whole: Buffer, etag: string, record: Served, lfs: boolean): void {
    let body = whole;
    if (lfs && this.corrupt.has(etag.replace(/"/g, ''))) {
      body = Buffer.from(whole);
      body[body.length >> 1] ^= 0xff;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'content-range': `bytes */${body.length}` });
        return void res.end();
      }
    }
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'content-length': String(part.length),
      'accept-ranges': 'bytes',
      etag,
      ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const cut = lfs ? this.cuts.shift() : undefined;
    if (cut !== undefined && cut < part.length) {
      record.bytes = cut;
      res.write(part.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    record.bytes = part.length;
    const t = lfs ? this.throttle : undefined;
    if (!t) return void res.end(part);
    let at = 0;
    const next = () => {
      if (res.destroyed) return;
      const piece = part.subarray(at, at + t.bytes);
      at += piece.length;
      if (at >= part.length) res.end(piece);
      else res.write(piece, () => setTimeout(next, t.ms));
    };
    next();
  }
}
