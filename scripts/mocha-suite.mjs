// Runs compiled mocha test files under the given folders and writes the pass/fail counts and failures for scripts/test.mjs.
// usage: node scripts/mocha-suite.mjs NAME DIR... ; CLOZE_TEST_GREP filters test titles.
import Mocha from 'mocha';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { collectResult, recordFailures, writeResult } = createRequire(import.meta.url)(path.join(root, 'out', 'test', 'e2e', 'results.js'));
const [name, ...dirs] = process.argv.slice(2);
const files = [];
const walk = (d) => {
  if (!existsSync(d)) return;
  for (const f of readdirSync(d).sort()) {
    const p = path.join(d, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (f.endsWith('.test.js')) files.push(p);
  }
};
dirs.forEach(walk);
const mocha = new Mocha({ ui: 'bdd', timeout: 120000, reporter: 'spec', grep: process.env.CLOZE_TEST_GREP });
files.forEach((f) => mocha.addFile(path.resolve(f)));
// The same counting and failure records as the e2e runners (test/e2e/results.ts, compiled by `npm test` first).
const runner = mocha.run(() => {
  const res = collectResult(mocha.suite, failures);
  writeResult(name, res);
  process.exitCode = res.failed ? 1 : 0;
});
const failures = recordFailures(runner);
