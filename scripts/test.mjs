// Runs every test suite (unit, extension host in a real VS Code, UI in a real browser, the packaged .vsix) and prints one summary.
// usage: node scripts/test.mjs [unit] [ext] [ui] [vsix]   (no argument: all)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const wanted = process.argv.slice(2);
const suites = [
  // Each suite writes { passed, failed, skipped? } to its result file.
  { name: 'unit', cmd: ['node', 'scripts/mocha-suite.mjs', 'unit', 'out/test/unit', 'out/test/train'] },
  { name: 'ext', cmd: ['node', 'out/test/e2e/runExtensionTests.js'] },
  { name: 'ui', cmd: ['node', 'out/test/e2e/runUiTests.js'] },
  // Last: `npm run package` leaves the production build in dist/. Packages, installs the .vsix into code-server, fills.
  { name: 'vsix', cmd: ['node', 'out/test/e2e/runVsixTests.js'] },
].filter((s) => wanted.length === 0 || wanted.includes(s.name));

const resultsDir = path.join(root, '.test-results');
mkdirSync(resultsDir, { recursive: true });
let passed = 0, failed = 0;
const rows = [];
const failures = [];
for (const s of suites) {
  const file = path.join(resultsDir, `${s.name}.json`);
  rmSync(file, { force: true });
  console.log(`\n=== ${s.name} tests ===`);
  const r = spawnSync(s.cmd[0], s.cmd.slice(1), { cwd: root, stdio: 'inherit', env: { ...process.env, CLOZE_TEST_RESULT: file } });
  let res = { passed: 0, failed: 1, note: `no result file (exit ${r.status ?? r.signal})` };
  if (existsSync(file)) res = JSON.parse(readFileSync(file, 'utf8'));
  else if (r.status === 0) res = { passed: 0, failed: 1, note: 'suite exited 0 without writing results' };
  passed += res.passed; failed += res.failed;
  for (const f of res.failures ?? []) failures.push(`${s.name}: ${f.title}\n      ${f.message.split('\n').slice(0, 4).join('\n      ')}`);
  rows.push(`${s.name}: ${res.passed} passed, ${res.failed} failed${res.note ? ` (${res.note})` : ''}`);
}
console.log('\n=== summary ===');
for (const r of rows) console.log('  ' + r);
// Repeated here because a CI log is often read from its end.
for (const f of failures) console.log('  FAILED ' + f);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
