// Installs, once and cached in .e2e/tools/, what a real VS Code run needs offline: Node 24, code-server, Chromium.
// usage: node scripts/e2e-setup.mjs [--check]   (--check: only report what is missing; exit 1 if anything is)
// Why code-server on Node 24: @vscode/test-electron cannot download VS Code without internet and no Electron build
// installs here; code-server from npm runs the real workbench and a real Node extension host.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const NODE_VERSION = '24.21.0';
const CODE_SERVER_VERSION = '4.139.1';
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const toolsDir = path.join(root, '.e2e', 'tools');
const nodePkg = `node-${process.platform}-${process.arch}`;
const node24Dir = path.join(toolsDir, 'node24', 'node_modules', nodePkg);
const node24Bin = path.join(node24Dir, 'bin', 'node');
const csPrefix = path.join(toolsDir, 'code-server');
const csDir = path.join(csPrefix, 'node_modules', 'code-server');
const csMarker = path.join(csPrefix, 'installed.json');
const chromium = process.env.CLOZE_E2E_CHROMIUM || '/usr/bin/chromium';
const pathsFile = path.join(toolsDir, 'paths.json');
const checkOnly = process.argv.includes('--check');

const t0 = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)} s`;
const log = (m) => console.log(`[e2e-setup] ${m}`);
const readJson = (f) => { try { return JSON.parse(readFileSync(f, 'utf8')); } catch { return undefined; } };
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

// Started from `npm start`, this process carries the outer npm's npm_* variables (npm_config_user_agent says Node 20,
// npm_config_ignore_scripts comes from our .npmrc, …); a child npm must see neither, or code-server's install refuses
// to run ("requires node v24") or skips the build of its native modules.
function outsideNpm(env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD'));
}

/** Runs a command with this process's environment minus npm's, plus `extraEnv`. */
function run(cmd, args, { extraEnv = {}, ...opts } = {}) {
  log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts, env: { ...outsideNpm(process.env), ...extraEnv } });
  if (r.status !== 0) throw new Error(`'${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal})`);
}

// A tool folder with its own package.json, so npm installs there instead of walking up into the project.
function npmPrefix(dir) {
  mkdirSync(dir, { recursive: true });
  const pj = path.join(dir, 'package.json');
  if (!existsSync(pj)) writeFileSync(pj, JSON.stringify({ name: 'cloze-e2e-tool', private: true }, null, 2) + '\n');
}

const missing = [];
const aptNeeded = [];

// --- Chromium (Debian's; Playwright's own browsers cannot be downloaded here) ---
const haveChromium = existsSync(chromium);
if (!haveChromium) aptNeeded.push('chromium');

// --- Node 24 ---
const haveNode = readJson(path.join(node24Dir, 'package.json'))?.version === NODE_VERSION && existsSync(node24Bin);

// --- code-server (native addons compiled against Node 24's headers) ---
const haveCs = readJson(csMarker)?.version === CODE_SERVER_VERSION && readJson(path.join(csDir, 'package.json'))?.version === CODE_SERVER_VERSION;
const haveKrb = existsSync('/usr/include/gssapi/gssapi.h') || existsSync('/usr/include/krb5.h');
if (!haveCs && !haveKrb) aptNeeded.push('libkrb5-dev');

if (checkOnly) {
  if (!haveChromium) missing.push(`Chromium at ${chromium}`);
  if (!haveNode) missing.push(`Node ${NODE_VERSION}`);
  if (!haveCs) missing.push(`code-server ${CODE_SERVER_VERSION}`);
  if (missing.length) { log(`missing: ${missing.join(', ')} — run: node scripts/e2e-setup.mjs`); process.exit(1); }
  log('all tools present');
  process.exit(0);
}

try {
  if (aptNeeded.length) {
    const t = Date.now();
    if (!isRoot) {
      throw new Error(`missing system packages: ${aptNeeded.join(' ')}. Run as root:\n  sudo apt-get update && sudo apt-get install -y ${aptNeeded.join(' ')}\n` +
        'then run this script again (or set CLOZE_E2E_CHROMIUM to another Chromium/Chrome binary).');
    }
    run('apt-get', ['update', '-q']);
    run('apt-get', ['install', '-y', '-q', ...aptNeeded], { extraEnv: { DEBIAN_FRONTEND: 'noninteractive' } });
    log(`apt packages ${aptNeeded.join(', ')} installed in ${secs(t)}`);
  } else {
    log(`chromium present at ${chromium}`);
  }
  if (!existsSync(chromium)) throw new Error(`Chromium still missing at ${chromium}`);

  if (haveNode) log(`Node ${NODE_VERSION} present`);
  else {
    const t = Date.now();
    const dir = path.join(toolsDir, 'node24');
    npmPrefix(dir);
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `${nodePkg}@${NODE_VERSION}`], { cwd: dir });
    if (!existsSync(node24Bin)) throw new Error(`${nodePkg}@${NODE_VERSION} installed but ${node24Bin} is missing`);
    log(`Node ${NODE_VERSION} installed in ${secs(t)}`);
  }

  if (haveCs) log(`code-server ${CODE_SERVER_VERSION} present`);
  else {
    const t = Date.now();
    rmSync(csMarker, { force: true });
    npmPrefix(csPrefix);
    log(`installing code-server ${CODE_SERVER_VERSION} with Node ${NODE_VERSION} (compiles native modules; ~3 min on 2 cores)`);
    // The machine's npmrc points nodedir at Node 20's headers; the addons must be built for Node 24's ABI.
    const extraEnv = { PATH: `${path.dirname(node24Bin)}:${process.env.PATH}`, npm_config_nodedir: node24Dir };
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `code-server@${CODE_SERVER_VERSION}`], { cwd: csPrefix, extraEnv });
    // XDG dirs in the tool folder: code-server writes a default config (with a password) to the home folder otherwise.
    const xdg = { XDG_CONFIG_HOME: path.join(toolsDir, 'xdg-config'), XDG_DATA_HOME: path.join(toolsDir, 'xdg-data') };
    const probe = spawnSync(node24Bin, [path.join(csDir, 'out', 'node', 'entry.js'), '--version'], { encoding: 'utf8', env: { ...process.env, ...xdg } });
    if (probe.status !== 0) throw new Error(`code-server does not start: ${probe.stderr || probe.stdout}`);
    writeFileSync(csMarker, JSON.stringify({ version: CODE_SERVER_VERSION, node: NODE_VERSION, at: new Date().toISOString() }) + '\n');
    log(`code-server ${probe.stdout.trim().split('\n').pop()} installed in ${secs(t)}`);
  }

  const paths = { node: node24Bin, codeServer: path.join(csDir, 'out', 'node', 'entry.js'), chromium, nodeVersion: NODE_VERSION, codeServerVersion: CODE_SERVER_VERSION };
  writeFileSync(pathsFile, JSON.stringify(paths, null, 2) + '\n');
  log(`ready in ${secs(t0)}; tool paths in ${path.relative(root, pathsFile)}`);
} catch (e) {
  console.error(`[e2e-setup] FAILED after ${secs(t0)}: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
