// The packaged extension as a user gets it: `npm run package` writes this platform's .vsix, code-server installs it
// (--install-extension, as `code --install-extension` does), and in a workbench with that extensions dir and no
// development extension, typing [MASK] shows the bundled model's candidates — computed by the installed copy.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { launchChromium } from '../browser';
import { E2eTools, loadTools, repoRoot, startCodeServer } from '../codeServer';
import { Workbench } from '../ui/workbench';
import { trackWorkbench, vsixScreenshot, vsixTempDir } from './session';
import { percentIn } from '../percent';

const SENTENCE = 'This program is free [MASK].';
const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; publisher: string; version: string };
const target = `${process.platform}-${process.arch}`;
const vsixFile = path.join(repoRoot, `${manifest.name}-${manifest.version}-${target}.vsix`);
const MAX_LINUX_X64_BYTES = 40 * 1000 * 1000;

interface Run { code: number | null; out: string; seconds: number }

/** Runs a command to completion (without blocking the event loop, so mocha's timeouts work), capturing its output. */
function runCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, seconds: (Date.now() - started) / 1000 }));
  });
}

const tail = (s: string, n = 3000): string => (s.length > n ? `…${s.slice(-n)}` : s);

/** Every file under `dir`, relative, with forward slashes. */
function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(path.join(dir, e.name), rel) : [rel];
  });
}

/** Processes descended from `root` (Linux /proc), with their command lines. */
function descendants(root: number): { pid: number; cmdline: string }[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const isDescendant = (pid: number): boolean => {
    for (let p = parent.get(pid), i = 0; p !== undefined && p > 1 && i < 50; p = parent.get(p), i++) if (p === root) return true;
    return false;
  };
  return [...parent.keys()].filter(isDescendant).flatMap((pid) => {
    try {
      return [{ pid, cmdline: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') }];
    } catch {
      return [];
    }
  });
}

function findFiles(dir: string, match: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  return listFiles(dir).filter((f) => match.test(path.basename(f))).map((f) => path.join(dir, f));
}

describe('The packaged .vsix, installed into code-server', () => {
  let tools: E2eTools;
  let tmp: string;
  let extensionsDir: string;
  let userDataDir: string;
  let installed: string; // the installed extension's folder

  before(() => {
    tools = loadTools();
    tmp = vsixTempDir();
    extensionsDir = path.join(tmp, 'extensions');
    userDataDir = path.join(tmp, 'user-data');
    fs.mkdirSync(extensionsDir, { recursive: true });
  });

  it('npm run package refuses a target it has no binaries for, and says why', async () => {
    for (const [t, why] of [['darwin-x64', /no macOS x64 binary/], ['alpine-x64', /glibc.*musl/], ['web', /native Node addons/]] as const) {
      const r = await runCommand(process.execPath, ['scripts/package.mjs', '--target', t]);
      assert.notStrictEqual(r.code, 0, `package --target ${t} succeeded:\n${tail(r.out)}`);
      assert.match(r.out, new RegExp(`cannot package for ${t}`), r.out);
      assert.match(r.out, why, r.out);
      assert.ok(!fs.existsSync(path.join(repoRoot, `${manifest.name}-${manifest.version}-${t}.vsix`)), `a ${t} .vsix was written`);
    }
  });

  it(`npm run package writes ${path.basename(vsixFile)} with only this platform's native binaries`, async () => {
    const before = Date.now();
    const r = await runCommand('npm', ['run', 'package']);
    console.log(`      package: ${r.seconds.toFixed(1)} s; ${/\[package\] \S+\.vsix: [^\n]*/.exec(r.out)?.[0] ?? '(no summary)'}`);
    assert.strictEqual(r.code, 0, `npm run package failed:\n${tail(r.out)}`);
    const st = fs.statSync(vsixFile);
    assert.ok(st.mtimeMs >= before - 1000, `${vsixFile} was not written by this run`);
    if (target === 'linux-x64') assert.ok(st.size <= MAX_LINUX_X64_BYTES, `${(st.size / 1e6).toFixed(1)} MB is over 40 MB`);
    const natives = /native files for [^\n]*\n((?: {2}[^\n]*\n?)*)/.exec(r.out)?.[1].trim().split(/\s+/) ?? [];
    const ort = `bin/napi-v6/${process.platform}/${process.arch}/`;
    assert.ok(natives.length >= 2, `no native files listed:\n${tail(r.out)}`);
    for (const f of natives) assert.ok(f.includes(ort) || /tokenizers\.[\w-]+\.node$/.test(f), `foreign native file ${f}`);
  });

  it('code-server installs the .vsix; the installed folder holds the bundles, the model and one platform\'s binaries', async () => {
    const r = await runCommand(tools.node, [tools.codeServer, '--install-extension', vsixFile, '--extensions-dir', extensionsDir,
      '--user-data-dir', userDataDir], { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_DATA_HOME: path.join(tmp, 'xdg-data') });
    console.log(`      install: ${r.seconds.toFixed(1)} s; ${r.out.trim().split('\n').pop()}`);
    assert.strictEqual(r.code, 0, `--install-extension failed:\n${tail(r.out)}`);
    assert.match(r.out, /successfully installed/i, r.out);
    const id = `${manifest.publisher}.${manifest.name}`;
    const registry = JSON.parse(fs.readFileSync(path.join(extensionsDir, 'extensions.json'), 'utf8')) as
      { identifier: { id: string }; version: string; relativeLocation: string; metadata?: { source?: string } }[];
    const entry = registry.find((e) => e.identifier.id === id);
    assert.ok(entry, `${id} is not in extensions.json: ${JSON.stringify(registry)}`);
    assert.strictEqual(entry.version, manifest.version);
    assert.strictEqual(entry.metadata?.source, 'vsix');
    installed = path.join(extensionsDir, entry.relativeLocation);
    const vsixManifest = fs.readFileSync(path.join(installed, '.vsixmanifest'), 'utf8');
    assert.match(vsixManifest, new RegExp(`TargetPlatform="${target}"`), 'the installed package is not the target-specific one');
    const files = listFiles(installed);
    // dist/trainWorker.js: the service forks it for Train on Workspace (src/train/worker.ts).
    for (const f of ['package.json', 'dist/extension.js', 'dist/server.js', 'dist/trainWorker.js', 'dist/cli.js', 'models/default/tokenizer.json',
      'media/icon.png', `dist/node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`]) {
      assert.ok(files.includes(f), `installed extension lacks ${f}`);
    }
    const natives = files.filter((f) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f));
    const foreign = natives.filter((f) => !f.includes(`/napi-v6/${process.platform}/${process.arch}/`) && !/^dist\/node_modules\/tokenizers\/tokenizers\.[\w-]+\.node$/.test(f));
    assert.deepStrictEqual(foreign, [], 'binaries of other platforms');
    assert.strictEqual(natives.filter((f) => f.includes('tokenizers.')).length, 1, `tokenizers binaries: ${natives.join(', ')}`);
    const stray = files.filter((f) => /\.(map|ts)$/.test(f) || /^(src|test|scripts|samples|node_modules|out)\//.test(f));
    assert.deepStrictEqual(stray, [], 'sources, tests, maps or root node_modules in the package');
    const installedManifest = JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.strictEqual(installedManifest.devDependencies, undefined, 'devDependencies in the installed package.json');
  });

  it('a workbench without a development extension fills [MASK] with the installed copy and the bundled model', async () => {
    assert.ok(installed, 'not installed (see the previous test)');
    // What the bundled model says, from the development build's CLI with the editor's defaults (cloze.topK 8, whole
    // words of up to cloze.maxPieces 2 pieces, percentages shared among the 8): the installed copy must show the same.
    const ref = await runCommand(process.execPath, ['dist/cli.js', 'fill', SENTENCE, '--model', path.join(repoRoot, 'models', 'default'), '--top-k', '8', '--max-pieces', '2', '--json']);
    assert.strictEqual(ref.code, 0, ref.out);
    const best = (JSON.parse(ref.out) as { token_str: string; score: number }[])[0];
    const workspace = path.join(tmp, 'workspace');
    fs.mkdirSync(workspace, { recursive: true });
    const file = path.join(workspace, 'fill.txt');
    fs.writeFileSync(file, '');

    const started = Date.now();
    const cs = await startCodeServer({ workspace, userDataDir, extensionsDir, settings: {}, logFile: path.join(tmp, 'code-server.log') }, tools);
    trackWorkbench(cs);
    const browser = await launchChromium(tools);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    trackWorkbench(cs, browser, page);
    await page.goto(cs.workbenchUrl(workspace)); // no extensionDevelopmentPath: only what is installed runs
    const workbench = new Workbench(page);
    await workbench.ready();
    const ready = Date.now();
    await workbench.openFile(file);
    await workbench.type('This program is free .');
    await page.keyboard.press('ArrowLeft');
    await workbench.type('[MASK]');
    // The first mask starts the service, which then opens the list itself; if that list does not appear (seen once on
    // a loaded machine), ask for it as a user would (Ctrl+Space) — what is tested here is the installed copy's fill.
    if (!(await workbench.suggestRows().first().waitFor({ timeout: 30_000 }).then(() => true, () => false))) {
      console.log('      the list did not open by itself after the service started; asking with Ctrl+Space');
      await page.keyboard.press('Control+Space');
    }
    const rows = await workbench.suggestions();
    console.log(`      workbench ready in ${((ready - started) / 1000).toFixed(1)} s, suggestions ${((Date.now() - ready) / 1000).toFixed(1)} s later: ${rows.slice(0, 3).map((r) => `${r.label} ${r.details}`).join(' | ')}`);
    await vsixScreenshot('suggest');
    assert.strictEqual(rows[0].label, best.token_str.trim(), `rows: ${JSON.stringify(rows)}`);
    const shown = percentIn(rows[0].details);
    assert.ok(shown !== undefined, `no percentage beside "${rows[0].label}": ${rows[0].details}`);
    assert.ok(Math.abs(shown - 100 * best.score) < 1, `shows ${shown}%, the CLI says ${(100 * best.score).toFixed(1)}%`);
    await workbench.statusBarItem(/default ·/).first().waitFor({ timeout: 30_000 });

    // The code that answered is the installed copy: its log names the installed model folder, and (Linux) the service
    // process runs the installed dist/server.js with the installed native libraries mapped.
    const modelDir = path.join(installed, 'models', 'default');
    let log = '';
    for (let i = 0; i < 100 && !log.includes(`from ${modelDir}`); i++) {
      log = findFiles(path.join(userDataDir, 'logs'), /Cloze/i).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
      await page.waitForTimeout(200);
    }
    assert.ok(log.includes(`Loaded default from ${modelDir}`), `the Cloze log does not show the model loaded from ${modelDir}:\n${tail(log, 1500)}`);
    assert.ok(!log.includes(repoRoot + path.sep), `the Cloze log mentions ${repoRoot}:\n${tail(log, 1500)}`);
    if (process.platform === 'linux') {
      const procs = descendants(cs.pid);
      const servers = procs.filter((p) => /[/\\]dist[/\\]server\.js\b/.test(p.cmdline));
      assert.ok(servers.length > 0, `no language-model service among code-server's processes:\n${procs.map((p) => p.cmdline).join('\n')}`);
      for (const s of servers) assert.ok(s.cmdline.includes(path.join(installed, 'dist', 'server.js')), `service not from the installed copy: ${s.cmdline}`);
      // The e2e tools (Node, code-server) live in <repo>/.e2e/tools; nothing else of the checkout may run.
      const fromRepo = (p: { cmdline: string }) => p.cmdline.split(' ').some((a) => a.startsWith(repoRoot + path.sep) && !a.startsWith(path.join(repoRoot, '.e2e') + path.sep));
      assert.deepStrictEqual(procs.filter(fromRepo).map((p) => p.cmdline), [], `processes running code from ${repoRoot}`);
      const maps = fs.readFileSync(`/proc/${servers[0].pid}/maps`, 'utf8');
      const libs = [...new Set(maps.split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter((p) => /libonnxruntime|onnxruntime_binding|tokenizers\..*\.node/.test(p)))];
      console.log(`      service pid ${servers[0].pid} maps: ${libs.map((l) => path.relative(installed, l)).join(', ')}`);
      for (const lib of [/libonnxruntime\.so/, /onnxruntime_binding\.node/, /tokenizers\..*\.node/]) {
        const hit = libs.filter((l) => lib.test(l));
        assert.ok(hit.length > 0, `service has not loaded ${lib}: ${libs.join(', ')}`);
        for (const l of hit) assert.ok(l.startsWith(installed + path.sep), `${l} is not the installed copy's`);
      }
    }
  });
});
