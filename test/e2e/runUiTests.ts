// Runs the Playwright UI tests (test/e2e/ui) against code-server in headless Chromium with Cloze loaded as a
// development extension; screenshots go to .test-results/screenshots/ (key moments, and every failure).
// Writes { passed, failed } to CLOZE_TEST_RESULT (the contract of scripts/test.mjs).
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';
import { collectResult, recordFailures, SuiteResult, writeResult } from './results';
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
      for (const f of failures) f.screenshot = shots.get(f.title);
      resolve(collectResult(mocha.suite, failures));
    });
    const failures = recordFailures(runner);
  });
}

const started = Date.now();
run()
  .then(async (res) => {
    await closeUiSession();
    console.log(`[ui] finished in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(process.cwd(), screenshotsDir)}`);
    writeResult('ui', res);
    process.exitCode = res.failed === 0 && res.passed > 0 ? 0 : 1;
  })
  .catch(async (e: unknown) => {
    await closeUiSession();
    writeResult('ui', { passed: 0, failed: 1, note: e instanceof Error ? e.message : String(e), failures: [] });
    process.exitCode = 1;
  });
