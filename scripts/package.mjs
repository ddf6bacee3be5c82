// Writes cloze-<version>-<target>.vsix: the production bundles, media, the bundled model and ONLY the target's native
// binaries of onnxruntime-node and tokenizers (esbuild bundled every other dependency into dist/).
// usage: npm run package [-- --target <vsce target>] [-- --out <file or folder>] [-- --no-build]
//
// How: the files are staged in .package/<target>/ with the two native modules under dist/node_modules/ (Node resolves
// `require('onnxruntime-node')` from dist/*.js there), next to a package.json without scripts or dependencies, and
// @vscode/vsce packs that folder with `dependencies: false` (it then takes every file there: it skips only a root
// node_modules/). The written .vsix is read back and checked against the same rules before the script succeeds.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);

/** The vsce targets we can ship: onnxruntime-node 1.30's bin/napi-v6 folders × the tokenizers .node files. */
const TARGETS = {
  'linux-x64': { ort: 'linux/x64', tokenizers: 'linux-x64-gnu' },
  'linux-arm64': { ort: 'linux/arm64', tokenizers: 'linux-arm64-gnu' },
  // libonnxruntime.1.30.0.dylib is a byte-identical copy of libonnxruntime.1.dylib (a symlink in the upstream
  // archive); the binding loads @rpath/libonnxruntime.1.dylib, whose install name is that too.
  'darwin-arm64': { ort: 'darwin/arm64', tokenizers: 'darwin-arm64', skip: ['libonnxruntime.1.30.0.dylib'] },
  // DirectML.dll (the `dml` device) and dxcompiler.dll/dxil.dll (WebGPU) are part of the Windows runtime.
  'win32-x64': { ort: 'win32/x64', tokenizers: 'win32-x64-msvc' },
  'win32-arm64': { ort: 'win32/arm64', tokenizers: 'win32-arm64-msvc' },
};
const UNSUPPORTED = {
  'darwin-x64': 'onnxruntime-node 1.30 ships no macOS x64 binary (bin/napi-v6/darwin has arm64 only)',
  'linux-armhf': 'onnxruntime-node 1.30 ships no 32-bit ARM binary (bin/napi-v6/linux has x64 and arm64 only)',
  'alpine-x64': "onnxruntime-node's Linux binaries are built against glibc and do not load on Alpine (musl)",
  'alpine-arm64': "onnxruntime-node's Linux binaries are built against glibc and do not load on Alpine (musl)",
  web: 'Cloze runs ONNX Runtime and the tokenizers as native Node addons in a separate process; a web extension cannot',
};
const MAX_BYTES = { 'linux-x64': 40 * 1000 * 1000 };

function fail(message) {
  console.error(`[package] ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { target: undefined, out: undefined, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--target' || a === '-t') opts.target = value();
    else if (a.startsWith('--target=')) opts.target = a.slice('--target='.length);
    else if (a === '--out' || a === '-o') opts.out = value();
    else if (a === '--no-build') opts.build = false;
    else if (a === '--help' || a === '-h') {
      console.log('usage: npm run package [-- --target <vsce target>] [--out <file or folder>] [--no-build]');
      console.log(`targets: ${Object.keys(TARGETS).join(', ')} (default: this machine's)`);
      process.exit(0);
    } else fail(`unknown argument ${a} (see --help)`);
  }
  return opts;
}

function isMusl() {
  if (process.platform !== 'linux') return false;
  const report = process.report?.getReport?.();
  return !(report && report.header && report.header.glibcVersionRuntime);
}

/** This machine as a vsce target, e.g. linux-x64 (alpine-x64 on musl). */
function hostTarget() {
  const platform = process.platform === 'linux' && isMusl() ? 'alpine' : process.platform;
  const arch = process.arch === 'arm' ? 'armhf' : process.arch;
  return `${platform}-${arch}`;
}

function checkTarget(target) {
  if (TARGETS[target]) return TARGETS[target];
  const known = Object.keys(TARGETS).join(', ');
  if (UNSUPPORTED[target]) fail(`cannot package for ${target}: ${UNSUPPORTED[target]}. Supported targets: ${known}.`);
  fail(`unknown target ${JSON.stringify(target)}: vsce targets Cloze supports are ${known}.`);
}

function run(cmd, args) {
  console.log(`[package] $ ${[path.basename(cmd), ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

function copy(from, to) {
  if (!existsSync(from)) fail(`missing ${path.relative(root, from)}`);
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true });
}

/** Files (relative, with /) under `dir` whose relative path matches `keep`. */
function walk(dir, keep = () => true, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) return walk(path.join(dir, e.name), keep, rel);
    return e.isFile() && keep(rel) ? [rel] : [];
  });
}

function copyModuleFiles(name, files, stage) {
  const from = path.join(root, 'node_modules', name);
  for (const f of files) copy(path.join(from, f), path.join(stage, 'dist', 'node_modules', name, f));
}

function stageFiles(target, spec, stage) {
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  // The manifest as published: no scripts (nothing may run again in the staging folder), no dependency lists (the
  // runtime modules are in the package itself; vsce must not go looking for node_modules).
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  for (const k of ['scripts', 'devDependencies', 'dependencies', 'optionalDependencies', 'peerDependencies', 'allowScripts', 'files']) delete manifest[k];
  writeFileSync(path.join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  // Only what is staged goes in; this is a second guard against maps and sources (and keeps vsce from warning).
  writeFileSync(path.join(stage, '.vscodeignore'), '**/*.map\n**/*.ts\n');
  for (const f of ['README.md', 'LICENSE', 'CHANGELOG.md']) copy(path.join(root, f), path.join(stage, f));
  if (manifest.icon) copy(path.join(root, manifest.icon), path.join(stage, manifest.icon));
  const bundles = readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.js'));
  for (const f of ['extension.js', 'server.js', 'trainWorker.js', 'cli.js']) if (!bundles.includes(f)) fail(`dist/${f} was not built`);
  for (const f of bundles) copy(path.join(root, 'dist', f), path.join(stage, 'dist', f));
  copy(path.join(root, 'media'), path.join(stage, 'media'));
  copy(path.join(root, 'models', 'default'), path.join(stage, 'models', 'default'));

  const ortBin = `bin/napi-v6/${spec.ort}`;
  const ortDir = path.join(root, 'node_modules', 'onnxruntime-node');
  const ortDist = readdirSync(path.join(ortDir, 'dist')).filter((f) => f.endsWith('.js')).map((f) => `dist/${f}`);
  const ortNative = readdirSync(path.join(ortDir, ortBin)).filter((f) => !(spec.skip ?? []).includes(f)).map((f) => `${ortBin}/${f}`);
  if (!ortNative.some((f) => f.endsWith('onnxruntime_binding.node'))) fail(`onnxruntime-node has no ${ortBin}/onnxruntime_binding.node`);
  copyModuleFiles('onnxruntime-node', ['package.json', ...ortDist, ...ortNative], stage);
  const common = path.join(root, 'node_modules', 'onnxruntime-common');
  copyModuleFiles('onnxruntime-common', ['package.json', ...walk(path.join(common, 'dist', 'cjs'), (f) => f.endsWith('.js') || f === 'package.json').map((f) => `dist/cjs/${f}`)], stage);
  const tokNode = `tokenizers.${spec.tokenizers}.node`;
  copyModuleFiles('tokenizers', ['package.json', 'index.js', 'LICENSE', tokNode], stage);
  return { ortBin, tokNode };
}

/** Entries of a zip file (the .vsix) with their uncompressed sizes, via vsce's own zip reader (yauzl). */
async function zipEntries(file) {
  const yauzl = createRequire(require.resolve('@vscode/vsce'))('yauzl');
  const zip = await new Promise((res, rej) => yauzl.open(file, { lazyEntries: true }, (e, z) => (e ? rej(e) : res(z))));
  return new Promise((res, rej) => {
    const entries = [];
    zip.on('entry', (e) => { entries.push({ name: e.fileName, size: e.uncompressedSize, packed: e.compressedSize }); zip.readEntry(); });
    zip.on('end', () => res(entries));
    zip.on('error', rej);
    zip.readEntry();
  });
}

/** Rules the package must satisfy; returns the list of problems (empty when it is right). */
function checkEntries(files, target, { ortBin, tokNode }) {
  const problems = [];
  const nm = 'extension/dist/node_modules/';
  const allowed = [
    /^extension\.vsixmanifest$/, /^\[Content_Types\]\.xml$/,
    /^extension\/(package\.json|readme\.md|README\.md|LICENSE(\.txt)?|changelog\.md|CHANGELOG\.md)$/,
    /^extension\/dist\/[^/]+\.js$/, /^extension\/media\/.+/, /^extension\/models\/default\/.+/,
    new RegExp(`^${nm}onnxruntime-node/(package\\.json|dist/[^/]+\\.js)$`),
    new RegExp(`^${nm}onnxruntime-node/${ortBin.replace(/\//g, '\\/')}/[^/]+$`),
    new RegExp(`^${nm}onnxruntime-common/(package\\.json|dist/cjs/.+\\.js|dist/cjs/package\\.json)$`),
    new RegExp(`^${nm}tokenizers/(package\\.json|index\\.js|LICENSE|${tokNode.replace(/\./g, '\\.')})$`),
  ];
  for (const f of files) {
    if (!allowed.some((re) => re.test(f))) problems.push(`unexpected file ${f}`);
    if (/\.(map|ts)$/.test(f)) problems.push(`source or map ${f}`);
  }
  const required = ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/trainWorker.js', 'extension/dist/cli.js',
    'extension/models/default/config.json', 'extension/models/default/tokenizer.json', `${nm}onnxruntime-node/dist/index.js`,
    `${nm}onnxruntime-node/${ortBin}/onnxruntime_binding.node`, `${nm}onnxruntime-common/dist/cjs/index.js`,
    `${nm}tokenizers/index.js`, `${nm}tokenizers/${tokNode}`];
  for (const f of required) if (!files.includes(f)) problems.push(`missing ${f}`);
  if (!files.some((f) => /^extension\/(LICENSE|license)/.test(f))) problems.push('missing LICENSE');
  if (!files.some((f) => /^extension\/models\/default\/(model\.onnx|onnx\/[^/]+\.onnx)$/.test(f))) problems.push('missing the default model graph');
  return problems;
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function summarize(entries) {
  const groups = new Map();
  for (const e of entries) {
    const parts = e.name.split('/');
    const key = parts[1] === 'dist' && parts[2] === 'node_modules' ? parts.slice(1, 4).join('/')
      : parts.length > 2 ? `${parts[1]}/` : 'manifests, readme, changelog, license';
    const g = groups.get(key) ?? { files: 0, size: 0, packed: 0 };
    g.files++; g.size += e.size; g.packed += e.packed;
    groups.set(key, g);
  }
  const width = Math.max(...[...groups.keys()].map((k) => k.length));
  for (const [k, g] of [...groups].sort((a, b) => b[1].packed - a[1].packed)) {
    console.log(`  ${k.padEnd(width)}  ${String(g.files).padStart(4)} file${g.files === 1 ? ' ' : 's'}  ${mb(g.size).padStart(9)} (${mb(g.packed)} packed)`);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const target = opts.target ?? hostTarget();
  const spec = checkTarget(target);
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  let out = path.resolve(root, opts.out ?? '.');
  if (existsSync(out) && statSync(out).isDirectory()) out = path.join(out, `${manifest.name}-${manifest.version}-${target}.vsix`);

  const started = Date.now();
  // The same step as `vscode:prepublish` (npm run build:prod): minified bundles, no source maps.
  if (opts.build) run(process.execPath, [path.join(root, 'scripts', 'build.mjs'), '--production']);
  for (const f of ['extension.js', 'server.js', 'trainWorker.js', 'cli.js']) {
    const text = readFileSync(path.join(root, 'dist', f), 'utf8');
    if (/sourceMappingURL=/.test(text.slice(-500))) fail(`dist/${f} is a development build (source map); run without --no-build`);
  }
  const stage = path.join(root, '.package', target);
  const native = stageFiles(target, spec, stage);

  console.log(`[package] vsce package --target ${target} --no-dependencies (in ${path.relative(root, stage)})`);
  const { createVSIX } = require('@vscode/vsce');
  rmSync(out, { force: true });
  await createVSIX({ cwd: stage, packagePath: out, target, dependencies: false, useYarn: false });

  const entries = await zipEntries(out);
  const files = entries.map((e) => e.name);
  const size = statSync(out).size;
  console.log(`\n[package] ${path.relative(process.cwd(), out) || out}: ${entries.length} files, ${mb(size)} (${mb(entries.reduce((s, e) => s + e.size, 0))} unpacked)`);
  summarize(entries);
  const binaries = files.filter((f) => /\.(node|so(\.\d+)*|dylib|dll)$/.test(f));
  console.log(`[package] native files for ${target}:\n${binaries.map((f) => `  ${f}`).join('\n')}`);
  const problems = checkEntries(files, target, native);
  if (MAX_BYTES[target] && size > MAX_BYTES[target]) problems.push(`${mb(size)} is over the ${mb(MAX_BYTES[target])} limit for ${target}`);
  if (problems.length) fail(`the package is wrong (staged files kept in ${path.relative(root, stage)}):\n  ${problems.join('\n  ')}`);
  rmSync(stage, { recursive: true, force: true });
  if (readdirSync(path.dirname(stage)).length === 0) rmSync(path.dirname(stage), { recursive: true, force: true });
  console.log(`[package] done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
