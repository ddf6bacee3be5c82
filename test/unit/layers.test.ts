// The architecture as a check: which layer may import which (docs/ARCHITECTURE.md), read from the sources' imports,
// so that a convenient upward import fails here instead of slowly undoing the layering.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../paths';

const SRC = path.join(repoRoot, 'src');
type Layer = 'protocol' | 'core' | 'train' | 'server' | 'client' | 'webview' | 'cli';

/** Each layer's allowed internal imports (besides itself) and the packages it may use beyond Node's own. */
const RULES: Record<Layer, { readonly layers: readonly Layer[]; readonly packages?: readonly string[] }> = {
  protocol: { layers: [], packages: ['vscode-languageserver-protocol'] },
  core: { layers: ['protocol'], packages: ['onnxruntime-node', 'tokenizers', 'undici'] },
  train: { layers: ['protocol', 'core'], packages: ['onnxruntime-node', 'tokenizers', 'onnx-proto', 'ignore'] },
  server: { layers: ['protocol', 'core', 'train'], packages: ['vscode-languageserver', 'vscode-languageserver-textdocument'] },
  cli: { layers: ['protocol', 'core', 'train'] },
  client: { layers: ['protocol'], packages: ['vscode', 'vscode-languageclient'] },
  webview: { layers: ['protocol'], packages: ['chart.js'] },
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The layer of a file under src/: its first folder (or its own name for a file at the top, e.g. extension.ts). */
const layerOf = (file: string): string => path.relative(SRC, file).split(path.sep)[0].replace(/\.ts$/, '');

/** Module specifiers of static imports, re-exports, `import('…')` types and `require('…')`. */
function importsOf(text: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  return [...text.matchAll(re)].map((m) => m[1]);
}

const packageOf = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

describe('layers (docs/ARCHITECTURE.md)', () => {
  const files = sources(SRC);

  it('every source file belongs to a known layer', () => {
    const unknown = files.filter((f) => !(layerOf(f) in RULES) && layerOf(f) !== 'extension');
    assert.deepEqual(unknown.map((f) => path.relative(repoRoot, f)), []);
  });

  it('each layer imports only the layers and packages it may: nothing runs back up', () => {
    const broken: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      const rule = from === 'extension' ? RULES.client : RULES[from as Layer];
      if (!rule) continue;
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const to = layerOf(path.resolve(path.dirname(file), spec));
          if (to !== from && !(rule.layers as readonly string[]).includes(to)) broken.push(`${path.relative(SRC, file)} → ${spec} (${from} may not import ${to})`);
        } else if (!spec.startsWith('node:') && !(rule.packages ?? []).includes(packageOf(spec))) {
          broken.push(`${path.relative(SRC, file)} → package ${spec} (not one ${from} uses)`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('the rule itself catches an upward import', () => {
    // A guard on the guard: the parser sees each kind of import a file can make.
    assert.deepEqual(importsOf(`import { a } from '../train/x';\nexport * from "./y";\nlet t: import('node:fs').Stats;\nimport 'z';\nconst w = require('w');`), ['../train/x', './y', 'node:fs', 'z', 'w']);
  });

  it('no source file is over 400 lines', () => {
    const long = files.map((f) => ({ f: path.relative(SRC, f), n: readFileSync(f, 'utf8').split('\n').length })).filter((x) => x.n > 400);
    assert.deepEqual(long, []);
  });
});
