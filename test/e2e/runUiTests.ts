// Runs the Playwright UI tests (test/e2e/ui) against code-server in headless Chromium with Cloze loaded as a
// development extension; screenshots go to .test-results/screenshots/ (key moments, and every failure).
// Writes { passed, failed } to CLOZE_TEST_RESULT (the contract of scripts/test.mjs).
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';
import { collectResult, recordFailures, SuiteResult, writeResult } from './results';
import { removeE2eTempDirs } from './tempDirs';
import { closeUiSession, screenshot, screenshotsDir } from './ui/session';

function run(): Promise<SuiteResult> {
  fs.rmSync(screenshotsDir, { recursive: true, force: true });
  const shots = new Map<string, string>();
  const mocha = new Mocha({
    ui: 'bdd', timeout: 180_000, color: false, reporter: 'spec', grep: process.env.CLOZE_TEST_GREP,
    rootHooks: {
      async afterEach(this: Mocha.Context) {
        const t = this.currentTest;
        if (t?.state !== 'failed') return;
        const file = await screenshot(`FAILED-${t.fullTitle()}`);
        if (file) shots.set(t.fullTitle(), path.relative(process.cwd(), file));
      },
    },
  });
  const dir = path.join(__dirname, 'ui');
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(dir, f));
  return new Promise((resolve) => {
    const runner = mocha.run(() => {
      removeE2eTempDirs();
      for (const f of failures) f.screenshot = shots.get(f.title);
      resolve(collectResult(mocha.suite, failures));
    });
    const failures = recordFailures(runner);
  });
}

const started = Date.now();
run()
  .then(async (res) => {
    const kept = await closeUiSession(res.failed > 0);
    console.log(`[ui] finished in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(process.cwd(), screenshotsDir)}`);
    if (res.failed > 0 && kept) console.log(`[ui] workbench logs (Cloze log under user-data/logs) and code-server.log kept in ${kept}`);
    writeResult('ui', res);
    // Exit now: a workbench left behind by a failed start must not keep the runner (and npm test) alive.
    process.exit(res.failed === 0 && res.passed > 0 ? 0 : 1);
  })
  .catch(async (e: unknown) => {
    const kept = await closeUiSession(true);
    if (kept) console.log(`[ui] workbench logs and code-server.log kept in ${kept}`);
    writeResult('ui', { passed: 0, failed: 1, note: e instanceof Error ? e.message : String(e), failures: [] });
    process.exit(1);
  });
