// Runs the packaging tests (test/e2e/vsix): `npm run package` builds this platform's .vsix, code-server installs it
// with --install-extension, and a real workbench in headless Chromium fills a mask with the installed copy (no
// development extension). Screenshots go to .test-results/screenshots/vsix-*.png.
// Writes { passed, failed } to CLOZE_TEST_RESULT (the contract of scripts/test.mjs).
import Mocha from 'mocha';
import * as fs from 'fs';
import * as path from 'path';
import { collectResult, recordFailures, SuiteResult, writeResult } from './results';
import { closeVsixSession, vsixScreenshot } from './vsix/session';

function run(): Promise<SuiteResult> {
  const shots = new Map<string, string>();
  const mocha = new Mocha({
    ui: 'bdd', timeout: 240_000, color: false, reporter: 'spec', grep: process.env.CLOZE_TEST_GREP,
    rootHooks: {
      async afterEach(this: Mocha.Context) {
        const t = this.currentTest;
        if (t?.state !== 'failed') return;
        const file = await vsixScreenshot(`FAILED-${t.fullTitle()}`);
        if (file) shots.set(t.fullTitle(), path.relative(process.cwd(), file));
      },
    },
  });
  const dir = path.join(__dirname, 'vsix');
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(dir, f));
  return new Promise((resolve) => {
    const runner = mocha.run(() => {
      for (const f of failures) f.screenshot = shots.get(f.title);
      resolve(collectResult(mocha.suite, failures));
    });
    const failures = recordFailures(runner);
  });
}

const started = Date.now();
run()
  .then(async (res) => {
    const kept = await closeVsixSession(res.failed > 0);
    console.log(`[vsix] finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (kept) console.log(`[vsix] extensions dir, workbench logs and code-server.log kept in ${kept}`);
    writeResult('vsix', res);
    // Exit now: a workbench left behind by a failed start must not keep the runner (and npm test) alive.
    process.exit(res.failed === 0 && res.passed > 0 ? 0 : 1);
  })
  .catch(async (e: unknown) => {
    const kept = await closeVsixSession(true);
    if (kept) console.log(`[vsix] files kept in ${kept}`);
    writeResult('vsix', { passed: 0, failed: 1, note: e instanceof Error ? e.message : String(e), failures: [] });
    process.exit(1);
  });
