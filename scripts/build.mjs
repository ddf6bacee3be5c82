// Bundles the extension, the language-model service and the CLI with esbuild; native addons stay external.
import { build, context } from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', 'onnxruntime-node', 'tokenizers'],
  logLevel: 'info',
};
const entries = [
  { entryPoints: ['src/client/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js' },
  // The service runs Train on Workspace in a worker thread (src/train/worker.ts loads it from beside server.js).
  { entryPoints: ['src/train/trainWorker.ts'], outfile: 'dist/trainWorker.js' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
];
// The webview's page script runs in a browser: bundle it (with Chart.js) into media/, where the webview may load it.
const webview = { ...common, platform: 'browser', target: 'es2020', format: 'iife', external: [], entryPoints: ['src/webview/trainView.ts'], outfile: 'media/trainView.js', sourcemap: false, minify: true };
entries.push(webview);
if (watch) {
  for (const e of entries) await (await context({ ...common, ...e })).watch();
} else {
  await Promise.all(entries.map((e) => build({ ...common, ...e })));
}
