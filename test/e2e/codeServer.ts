// Starts and stops code-server (the real VS Code workbench, served to a browser) for the e2e runners and `npm start`.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { fixturesDir, repoRoot } from '../paths';

/** Absolute paths of the tools installed by scripts/e2e-setup.mjs. */
export interface E2eTools {
  node: string;
  codeServer: string;
  chromium: string;
}

export interface CodeServerOptions {
  /** Folder opened in the workbench. */
  workspace: string;
  /** Defaults to a fresh temp dir; an existing dir keeps its settings.json unless `settings` is given. */
  userDataDir?: string;
  extensionsDir?: string;
  /** Written to User/settings.json on top of the quiet defaults. */
  settings?: Record<string, unknown>;
  /** Extra environment for code-server and so for the extension host it starts. */
  env?: NodeJS.ProcessEnv;
  /** Keep VS Code's workspace trust on (Restricted Mode tests); off by default, as in quietSettings. */
  workspaceTrust?: boolean;
  /** Needed to honour the `payload` URL parameter (extensionDevelopmentPath / extensionTestsPath). */
  smokeTestDriver?: boolean;
  port?: number;
  /** Where code-server's stdout/stderr go; defaults to <tempDir>/code-server.log. */
  logFile?: string;
}

export interface CodeServer {
  readonly host: string;
  readonly url: string;
  readonly pid: number;
  readonly userDataDir: string;
  readonly logFile: string;
  /** Workbench URL for `folder`, loading `devPath` as a development extension and running `testsPath` if given. */
  workbenchUrl(folder: string, devPath?: string, testsPath?: string): string;
  /** Ends code-server and its children; removes the temp dir it made unless `keepFiles` (its log is there). */
  stop(keepFiles?: boolean): Promise<void>;
}

export { fixturesDir, repoRoot };

/** Settings that keep runs quiet and repeatable (measured when the e2e set-up was designed). */
export const quietSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'files.hotExit': 'off',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
};

/** Chromium flags that avoid sandbox, GPU and network side-traffic in headless CI. */
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];

export function loadTools(root: string = repoRoot): E2eTools {
  const file = path.join(root, '.e2e', 'tools', 'paths.json');
  let fromFile: Partial<E2eTools> = {};
  if (fs.existsSync(file)) fromFile = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<E2eTools>;
  const tools = {
    node: process.env.CLOZE_E2E_NODE ?? fromFile.node,
    codeServer: process.env.CLOZE_E2E_CODE_SERVER ?? fromFile.codeServer,
    chromium: process.env.CLOZE_E2E_CHROMIUM ?? fromFile.chromium ?? '/usr/bin/chromium',
  };
  const missing = Object.entries(tools).filter(([, p]) => !p || !fs.existsSync(p)).map(([k, p]) => `${k} (${p ?? 'not set'})`);
  if (missing.length || !tools.node || !tools.codeServer) {
    throw new Error(`e2e tools missing: ${missing.join(', ')}. Run \`node scripts/e2e-setup.mjs\` first.`);
  }
  return { node: tools.node, codeServer: tools.codeServer, chromium: tools.chromium };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Writes User/settings.json (quiet defaults + `settings`) and puts `settings` in Machine/settings.json too: in a
 * remote window such as code-server's, machine-scoped settings (e.g. `cloze.model`, a path) are read only from there.
 */
export function writeUserSettings(userDataDir: string, settings: Record<string, unknown>): void {
  const write = (sub: string, value: Record<string, unknown>) => {
    const dir = path.join(userDataDir, sub);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(value, null, 2) + '\n');
  };
  write('User', { ...quietSettings, ...settings });
  write('Machine', settings);
}

/** Starts code-server and resolves once it listens; rejects with the tail of its log if it exits first. */
export async function startCodeServer(opts: CodeServerOptions, tools: E2eTools = loadTools()): Promise<CodeServer> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cloze-cs-'));
  const userDataDir = opts.userDataDir ?? path.join(tmp, 'user-data');
  const extensionsDir = opts.extensionsDir ?? path.join(tmp, 'extensions');
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  if (opts.settings || !fs.existsSync(settingsFile)) writeUserSettings(userDataDir, opts.settings ?? {});
  fs.mkdirSync(extensionsDir, { recursive: true });
  const port = opts.port ?? await freePort();
  const host = `127.0.0.1:${port}`;
  const logFile = opts.logFile ?? path.join(tmp, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const args = [tools.codeServer, '--bind-addr', host, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']), '--disable-getting-started-override', '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir];
  if (opts.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  args.push(opts.workspace);
  // XDG dirs inside the temp dir: nothing is written to the home folder. Own process group: stop() ends the
  // extension host and the language-model service with it (they outlive a plain kill of the main process).
  const child = spawn(tools.node, args, {
    detached: true,
    stdio: ['ignore', 'pipe', log],
    env: { ...process.env, ...opts.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data') },
  });
  fs.closeSync(log);
  // Safety net: a runner that dies abruptly must not leave a workbench server behind.
  const killOnExit = () => { try { if (child.pid) process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } };
  process.once('exit', killOnExit);
  await waitListening(child, logFile).catch((e: unknown) => { killOnExit(); throw e; });
  const pid = child.pid ?? -1;
  const url = `http://${host}/`;
  return {
    host, url, pid, userDataDir, logFile,
    workbenchUrl(folder, devPath, testsPath) {
      const q = [`folder=${encodeURIComponent(folder)}`];
      const payload: [string, string][] = [];
      if (devPath) payload.push(['extensionDevelopmentPath', `vscode-remote://${host}${devPath}`]);
      if (testsPath) payload.push(['extensionTestsPath', `vscode-remote://${host}${testsPath}`]);
      if (payload.length) q.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
      return `${url}?${q.join('&')}`;
    },
    stop: async (keepFiles = false) => {
      await stopGroup(child);
      process.removeListener('exit', killOnExit);
      if (!keepFiles) fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

function waitListening(child: ChildProcess, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const appendLog = (d: Buffer) => fs.appendFileSync(logFile, d);
    child.stdout?.on('data', (d: Buffer) => {
      appendLog(d);
      if (seen !== 'done') {
        seen += d.toString();
        if (/HTTP server listening/.test(seen)) { seen = 'done'; resolve(); }
      }
    });
    child.on('exit', (code, signal) => {
      if (seen === 'done') return;
      const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : '';
      reject(new Error(`code-server exited (${code ?? signal}) before listening; log ${logFile}:\n${tail}`));
    });
  });
}

/** SIGTERM to the whole process group, SIGKILL after 5 s if anything is left. */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signalGroup = (sig: NodeJS.Signals | 0): boolean => {
    try { process.kill(-pid, sig); return true; } catch { return false; }
  };
  if (!signalGroup('SIGTERM')) return;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    if (!signalGroup(0)) return;
  }
  signalGroup('SIGKILL');
}
