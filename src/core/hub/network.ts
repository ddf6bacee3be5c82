// How Hub requests reach the network: Node's global fetch ignores proxies, so downloads go through undici with the
// editor's proxy settings (http.proxy / http.proxyStrictSSL / http.noProxy) or HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
import { Agent, Dispatcher, ProxyAgent, fetch as undiciFetch, type RequestInit, type Response } from 'undici';

/** The editor's proxy settings; absent values fall back to the environment. */
export interface ProxySettings {
  /** http.proxy: used for http and https URLs; wins over HTTPS_PROXY / HTTP_PROXY. */
  readonly proxy?: string;
  /** http.proxyStrictSSL (default true): false accepts self-signed certificates (of a TLS-inspecting proxy). */
  readonly strictSSL?: boolean;
  /** http.noProxy: hosts reached directly, added to NO_PROXY. */
  readonly noProxy?: readonly string[];
  /** http.proxyAuthorization: the Proxy-Authorization header value. */
  readonly proxyAuthorization?: string;
}

/** A NO_PROXY entry: `*`, a host, `.domain` / `*.domain` (the domain and its subdomains), each optionally `:port`. */
function bypasses(entry: string, host: string, port: string): boolean {
  const e = entry.trim().toLowerCase();
  if (!e) return false;
  if (e === '*') return true;
  const m = /^(.*?)(?::(\d+))?$/.exec(e.replace(/^\[|\](?=:|$)/g, ''))!;
  if (m[2] && m[2] !== port) return false;
  const name = m[1].replace(/^\*?\./, '');
  return host === name || host.endsWith(`.${name}`);
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** The proxy URL for `url` under `settings` and `env`, or undefined to go direct. */
export function proxyFor(url: string, settings: ProxySettings = {}, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const u = new URL(url);
  const proxy = settings.proxy?.trim()
    || (u.protocol === 'https:' ? env.https_proxy || env.HTTPS_PROXY : undefined)
    || env.http_proxy || env.HTTP_PROXY
    || undefined;
  if (!proxy) return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = u.port || DEFAULT_PORT[u.protocol] || '';
  const entries = [...(settings.noProxy ?? []), ...(env.no_proxy || env.NO_PROXY || '').split(/[,\s]+/)];
  return entries.some((e) => bypasses(e, host, port)) ? undefined : proxy;
}

/**
 * A dispatcher that picks, per origin (redirects to a CDN included), a ProxyAgent or a direct Agent. undici's
 * EnvHttpProxyAgent reads only the environment and warns that it is experimental on every process.
 */
class ProxyRouter extends Dispatcher {
  private direct: Agent | undefined;
  private readonly proxies = new Map<string, ProxyAgent>();

  constructor(private readonly settings: ProxySettings, private readonly env: NodeJS.ProcessEnv) {
    super();
  }

  private route(origin: string): Dispatcher {
    const tls = this.settings.strictSSL === false ? { rejectUnauthorized: false } : {};
    const proxy = proxyFor(origin, this.settings, this.env);
    if (!proxy) return (this.direct ??= new Agent({ connect: tls }));
    let agent = this.proxies.get(proxy);
    if (!agent) {
      agent = new ProxyAgent({ uri: proxy, requestTls: tls, proxyTls: tls, ...(this.settings.proxyAuthorization ? { token: this.settings.proxyAuthorization } : {}) });
      this.proxies.set(proxy, agent);
    }
    return agent;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
    return this.route(String(options.origin)).dispatch(options, handler);
  }

  private all(): Dispatcher[] {
    return [...(this.direct ? [this.direct] : []), ...this.proxies.values()];
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = Promise.all(this.all().map((d) => d.close())).then(() => undefined);
    if (!callback) return done;
    void done.then(callback, callback);
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const done = Promise.all(this.all().map((d) => d.destroy(err))).then(() => undefined);
    if (!callback) return done;
    void done.then(callback, callback);
  }
}

/** Fetches through the proxy the settings and environment name; close() when the download is over. */
export class HubConnection {
  private readonly dispatcher: ProxyRouter;

  constructor(readonly settings: ProxySettings = {}, private readonly env: NodeJS.ProcessEnv = process.env) {
    this.dispatcher = new ProxyRouter(settings, env);
  }

  fetch(url: string, init: RequestInit = {}): Promise<Response> {
    return undiciFetch(url, { ...init, dispatcher: this.dispatcher });
  }

  /** The proxy a request to `url` goes through, for messages. */
  proxyFor(url: string): string | undefined {
    const p = proxyFor(url, this.settings, this.env);
    return p?.replace(/\/\/[^@/]*@/, '//');
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => undefined);
  }
}
