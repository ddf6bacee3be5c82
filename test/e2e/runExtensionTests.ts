// Runs the extension-host integration tests (test/e2e/suite) through @vscode/test-electron's standard runTests call.
// The VS Code it drives: CLOZE_VSCODE_EXECUTABLE (a real VS Code binary) if set; CLOZE_VSCODE_DOWNLOAD=1 lets
// @vscode/test-electron download one (needs internet); otherwise codeShim.js, which runs code-server + Chromium here.
// Writes { passed, failed } to CLOZE_TEST_RESULT (the contract of scripts/test.mjs).
import { runTests } from '@vscode/test-electron';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot, writeUserSettings } from './codeServer';
import { SuiteResult, writeResult } from './results';

function copySampleWorkspace(tmp: string): string {
  const dest = path.join(tmp, 'workspace');
  fs.cpSync(path.join(repoRoot, 'samples', 'workspace'), dest, { recursive: true });
  return dest;
}

function vscodeExecutable(): string | undefined {
  if (process.env.CLOZE_VSCODE_EXECUTABLE) return process.env.CLOZE_VSCODE_EXECUTABLE;
  if (process.env.CLOZE_VSCODE_DOWNLOAD === '1') return undefined;
  const shim = path.join(__dirname, 'codeShim.js');
  fs.chmodSync(shim, 0o755); // tsc does not keep the executable bit; runTests spawns the file directly
  return shim;
}

async function main(): Promise<SuiteResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cloze-ext-'));
  const workspace = copySampleWorkspace(tmp);
  const userDataDir = path.join(tmp, 'user-data');
  writeUserSettings(userDataDir, {});
  const suiteResultFile = path.join(tmp, 'suite-result.json');
  const started = Date.now();
  let exitNote: string | undefined;
  try {
    await runTests({
      vscodeExecutablePath: vscodeExecutable(),
      // CLOZE_E2E_EXTENSION_PATH: run the suite against another build of the extension (e.g. an unpacked .vsix).
      extensionDevelopmentPath: process.env.CLOZE_E2E_EXTENSION_PATH ?? repoRoot,
      extensionTestsPath: path.join(__dirname, 'suite', 'index'),
      launchArgs: [workspace, '--disable-extensions', `--user-data-dir=${userDataDir}`, `--extensions-dir=${path.join(tmp, 'extensions')}`],
      extensionTestsEnv: { CLOZE_EXT_SUITE_RESULT: suiteResultFile, CLOZE_E2E_WORKSPACE: workspace },
    });
  } catch (e) {
    exitNote = e instanceof Error ? e.message : String(e);
  }
  console.log(`[ext] finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const res: SuiteResult = fs.existsSync(suiteResultFile)
    ? JSON.parse(fs.readFileSync(suiteResultFile, 'utf8')) as SuiteResult
    : { passed: 0, failed: 1, note: `the extension host reported no results (${exitNote ?? 'exit 0'})`, failures: [] };
  if (res.failed === 0) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log(`[ext] workbench logs (Cloze log under user-data/logs) kept in ${tmp}`);
  return res;
}

main().then(
  (res) => { writeResult('ext', res); process.exit(res.failed === 0 && res.passed > 0 ? 0 : 1); },
  (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    writeResult('ext', { passed: 0, failed: 1, note: msg, failures: [] });
    process.exit(1);
  },
);
