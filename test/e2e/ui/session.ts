// One workbench for all UI tests: code-server with Cloze as a development extension, opened in headless Chromium.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../browser';
import { CodeServer, fixturesDir, loadTools, repoRoot, startCodeServer, writeUserSettings } from '../codeServer';
import { Workbench } from './workbench';

export const bertDir = path.join(fixturesDir, 'bert-tiny-wordpiece');
export const screenshotsDir = path.join(repoRoot, '.test-results', 'screenshots');

export interface UiSession {
  readonly cs: CodeServer;
  readonly browser: Browser;
  readonly page: Page;
  readonly workbench: Workbench;
  /** The temp copy of samples/workspace that the workbench has open. */
  readonly workspace: string;
  /** Holds the workspace copy, user data (with the workbench's logs) and code-server's log. */
  readonly tempDir: string;
  /** Creates (or overwrites) a file in the open workspace and returns its absolute path. */
  writeFile(name: string, content: string | Buffer): string;
  /** Rewrites user settings.json (code-server watches it, as when a user edits it). */
  setUserSettings(settings: Record<string, unknown>): void;
  /** Text of the extension's "Cloze" log as written to disk by the workbench. */
  clozeLog(): string;
}

let current: Promise<UiSession> | undefined;

export function uiSession(): Promise<UiSession> {
  // A start that failed (a workbench too slow on a loaded machine) is not cached: the next test starts afresh.
  current ??= start().catch((e: unknown) => {
    current = undefined;
    throw e;
  });
  return current;
}

/** Stops the browser and code-server; keeps the temp dir (logs) when asked to, e.g. after a failure. */
export async function closeUiSession(keepFiles = false): Promise<string | undefined> {
  if (!current) return undefined;
  const s = await current.catch(() => undefined);
  current = undefined;
  await s?.browser.close().catch(() => undefined);
  await s?.cs.stop();
  if (s && !keepFiles) fs.rmSync(s.tempDir, { recursive: true, force: true });
  return s?.tempDir;
}

export async function screenshot(name: string): Promise<string | undefined> {
  if (!current) return undefined;
  const s = await current.catch(() => undefined);
  if (!s) return undefined;
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const file = path.join(screenshotsDir, `${name.replace(/[^\w.-]+/g, '-').slice(0, 120)}.png`);
  await s.page.screenshot({ path: file }).catch(() => undefined);
  return fs.existsSync(file) ? file : undefined;
}

function findFiles(dir: string, match: RegExp): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return findFiles(p, match);
    return match.test(e.name) ? [p] : [];
  });
}

async function start(): Promise<UiSession> {
  const tools = loadTools();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cloze-ui-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(repoRoot, 'samples', 'workspace'), workspace, { recursive: true });
  const userDataDir = path.join(tmp, 'user-data');
  const baseSettings = { 'cloze.model': bertDir };
  const cs = await startCodeServer({
    workspace, userDataDir, settings: baseSettings, smokeTestDriver: true, logFile: path.join(tmp, 'code-server.log'),
  }, tools);
  const browser = await launchChromium(tools);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const devPath = process.env.CLOZE_E2E_EXTENSION_PATH ?? repoRoot;
  const workbench = new Workbench(page);
  try {
    await page.goto(cs.workbenchUrl(workspace, devPath));
    await workbench.ready();
    // Tests start from a known state: the service up with the fixture model (the status bar then reads "name · device").
    // The service starts at the first document with a mask, and the status bar shows only beside such an editor.
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'sentences.txt' }).first().waitFor({ timeout: 120_000 });
    await workbench.openFile(path.join(workspace, 'sentences.txt'));
    await workbench.statusBarItem(/bert-tiny-wordpiece ·/).first().waitFor({ timeout: 120_000 });
  } catch (e) {
    fs.mkdirSync(screenshotsDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotsDir, `FAILED-session-start-${Date.now()}.png`) }).catch(() => undefined);
    await browser.close().catch(() => undefined);
    await cs.stop(true);
    console.log(`      the UI session did not start (${e instanceof Error ? e.message.split('\n')[0] : e}); logs kept in ${tmp}`);
    throw e;
  }
  return {
    cs, browser, page, workbench, workspace, tempDir: tmp,
    writeFile: (name, content) => {
      const file = path.join(workspace, name);
      fs.writeFileSync(file, content);
      return file;
    },
    setUserSettings: (settings) => writeUserSettings(userDataDir, { ...baseSettings, ...settings }),
    clozeLog: () => findFiles(path.join(userDataDir, 'logs'), /Cloze/i).map((f) => fs.readFileSync(f, 'utf8')).join('\n'),
  };
}
