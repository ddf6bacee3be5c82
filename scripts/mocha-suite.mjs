// Runs compiled mocha test files under the given folders and writes the pass/fail counts and failures for scripts/test.mjs.
// usage: node scripts/mocha-suite.mjs NAME DIR... ; CLOZE_TEST_GREP filters test titles.
import Mocha from 'mocha';
import { readdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

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
const failed = [];
const runner = mocha.run((failures) => {
  let passed = 0;
  const count = (s) => { for (const t of s.tests) if (t.state === 'passed') passed++; s.suites.forEach(count); };
  count(mocha.suite);
  console.log(`${name}: ${passed} passed, ${failures} failed`);
  if (process.env.CLOZE_TEST_RESULT) {
    writeFileSync(process.env.CLOZE_TEST_RESULT, JSON.stringify({ passed, failed: failures, failures: failed }));
  }
  process.exitCode = failures ? 1 : 0;
});
// Kept with the counts: scripts/test.mjs repeats them under its summary, the part of a long log people see.
runner.on('fail', (test, err) => {
  failed.push({ title: test.fullTitle(), message: String(err instanceof Error ? err.message : err).slice(0, 600) });
});
