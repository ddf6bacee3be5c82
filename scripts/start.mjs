// `npm start`: opens samples/workspace in a real VS Code with Cloze loaded, to try it by hand.
// Default: code-server (the VS Code workbench in the browser; installed by scripts/e2e-setup.mjs) with Cloze linked
// into its extensions folder; prints the URL and runs until Ctrl+C. `--desktop`: a desktop `code` on PATH instead.
// usage: npm start [-- --desktop] [-- --port N] [-- --model DIR] [-- --fresh]
//   --model DIR   cloze.model for this run (default: the bundled models/default, else the bert-tiny test fixture)
//   --fresh       forget the previous run's window state and settings (.e2e/start/user-data)
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const workspace = path.join(root, 'samples', 'workspace');
const stateDir = path.join(root, '.e2e', 'start');
const args = process.argv.slice(2);
const option = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const fail = (msg) => { console.error(`[start] ${msg}`); process.exit(1); };

if (args.includes('--desktop')) {
  const probe = spawnSync('code', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) fail('--desktop needs the VS Code command `code` on PATH (VS Code: "Shell Command: Install \'code\' command in PATH"). Without --desktop, npm start serves VS Code in the browser.');
  const r = spawnSync('code', [`--extensionDevelopmentPath=${root}`, workspace], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

if (!existsSync(path.join(root, 'dist', 'extension.js'))) fail('dist/extension.js is missing: run `npm run build` (npm start runs it first).');

// Tools (Node 24, code-server, Chromium for the tests): installed once, then only checked.
if (spawnSync(process.execPath, [path.join(root, 'scripts', 'e2e-setup.mjs'), '--check'], { stdio: 'ignore' }).status !== 0) {
  console.log('[start] first run: installing code-server and its Node (a few minutes, once)');
  if (spawnSync(process.execPath, [path.join(root, 'scripts', 'e2e-setup.mjs')], { stdio: 'inherit' }).status !== 0) fail('set-up failed (see above)');
}

// The runners' code-server launcher is TypeScript; bundle it here so npm start needs no tsc run.
const launcher = path.join(stateDir, 'codeServer.cjs');
await build({ entryPoints: [path.join(root, 'test', 'e2e', 'codeServer.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: launcher, logLevel: 'error' });
const { loadTools, startCodeServer } = createRequire(import.meta.url)(launcher);

// Cloze as an installed extension, linked to this checkout: unlike a development extension loaded through the
// smoke-test driver, this keeps notification toasts visible.
const extensionsDir = path.join(stateDir, 'extensions');
mkdirSync(extensionsDir, { recursive: true });
for (const e of readdirSync(extensionsDir)) if (e.startsWith('cloze.cloze-') || e === 'extensions.json') rmSync(path.join(extensionsDir, e), { recursive: true, force: true });
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
symlinkSync(root, path.join(extensionsDir, `cloze.cloze-${version}`), 'dir');

const userDataDir = path.join(stateDir, 'user-data');
if (args.includes('--fresh') && existsSync(userDataDir) && lstatSync(userDataDir).isDirectory()) rmSync(userDataDir, { recursive: true, force: true });
const settings = {};
const bert = path.join(root, 'test', 'fixtures', 'bert-tiny-wordpiece');
let modelNote = 'the bundled models/default';
if (option('model')) {
  settings['cloze.model'] = path.resolve(option('model'));
  modelNote = settings['cloze.model'];
} else if (!existsSync(path.join(root, 'models', 'default', 'config.json')) && existsSync(bert)) {
  settings['cloze.model'] = bert;
  modelNote = `${bert} (models/default is not there yet)`;
}

const portFree = (port) => new Promise((resolve) => {
  const s = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
});
let port = option('port') ? Number(option('port')) : 8080;
if (!option('port') && !(await portFree(port))) port = 0;

const cs = await startCodeServer({
  workspace, userDataDir, extensionsDir, settings, port: port || undefined, logFile: path.join(stateDir, 'code-server.log'),
}, loadTools(root));
console.log(`
  Cloze in VS Code (code-server): ${cs.workbenchUrl(workspace)}
  model: ${modelNote}
  log:   ${path.relative(process.cwd(), cs.logFile)}   (Cloze's own log: command "Cloze: Show Log")
  Ctrl+C stops it.
`);

let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  await cs.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
setInterval(() => {
  if (stopping) return;
  try { process.kill(cs.pid, 0); } catch {
    console.error(`[start] code-server exited; see ${cs.logFile}`);
    void stop(1);
  }
}, 2000);
