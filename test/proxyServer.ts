// A real HTTP proxy for tests (node:http): CONNECT tunnels and absolute-form forwarding, counting what passes through,
// so downloads can be shown to use (or bypass) the proxy they are configured with.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Proxied {
  readonly method: string;
  /** host:port for CONNECT, the absolute URL for forwarded requests. */
  readonly target: string;
  readonly authorization?: string;
}

export class TestProxy {
  readonly seen: Proxied[] = [];
  /** Answer every request with 407 unless it carries this Proxy-Authorization. */
  requireAuthorization: string | undefined;
  private server: http.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => this.forward(req, res));
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => this.tunnel(req, client, head));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  private allowed(req: http.IncomingMessage): boolean {
    const authorization = req.headers['proxy-authorization'];
    this.seen.push({ method: req.method ?? '', target: req.url ?? '', authorization });
    return !this.requireAuthorization || authorization === this.requireAuthorization;
  }

  private tunnel(req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    if (!this.allowed(req)) return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!this.allowed(req)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic' });
      return void res.end();
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const out = http.request(req.url ?? '', { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  }
}
