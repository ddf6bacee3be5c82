// What a user does in the VS Code workbench (open files, type, run commands, read widgets), as Playwright steps.
import * as path from 'path';
import type { Locator, Page } from 'playwright-core';

export class Workbench {
  constructor(readonly page: Page) {}

  async ready(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await this.page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
  }

  /**
   * Opens a file by its absolute path through "File: Open File…" (code-server's path dialog): unlike Quick Open it
   * does not depend on the file-search index having seen a file the test just wrote.
   */
  async openFile(file: string, focusText = true): Promise<void> {
    await this.runCommand('File: Open File...', true);
    const input = this.page.locator('.quick-input-widget input');
    const tab = this.page.locator('.tab.active', { hasText: path.basename(file) });
    // The dialog writes the current folder into its input once it has listed it, which can overwrite a path typed
    // earlier: type the path again until the file opens.
    let opened = false;
    for (let attempt = 0; attempt < 6 && !opened; attempt++) {
      // The dialog re-renders while it lists the folder: only a dialog that stays away for 2 s is opened again.
      if (!(await input.waitFor({ timeout: 2_000 }).then(() => true, () => false))) await this.runCommand('File: Open File...', true);
      await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor();
      await input.fill(file);
      await this.page.waitForTimeout(300);
      if ((await input.inputValue()) !== file) continue;
      await this.page.keyboard.press('Enter');
      opened = await tab.waitFor({ timeout: 10_000 }).then(() => true, () => false);
    }
    if (!opened) throw new Error(`could not open ${file} with "File: Open File…"`);
    await this.quickInputClosed();
    if (focusText) await this.editor().locator('.view-lines').click();
  }

  /** For a file VS Code shows as binary: "Open Anyway" in the text editor, as a user would. */
  async openBinaryAsText(): Promise<void> {
    const openAnyway = this.page.getByText('Open Anyway').first();
    if (await openAnyway.waitFor({ timeout: 10_000 }).then(() => true, () => false)) await openAnyway.click();
    const pickText = this.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Text Editor' }).first();
    if (await pickText.waitFor({ timeout: 5_000 }).then(() => true, () => false)) await pickText.click();
    await this.editor().locator('.view-lines').waitFor();
  }

  /** Puts the cursor right after the first `needle` in the active editor, with the Find widget. */
  async cursorAfter(needle: string): Promise<void> {
    await this.page.keyboard.press('Control+F');
    const find = this.page.locator('.find-widget.visible textarea').first();
    await find.waitFor();
    await find.fill(needle);
    await this.page.locator('.find-widget.visible .matchesCount', { hasText: /\d+ of \d+/ }).waitFor();
    await this.page.keyboard.press('Enter');
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('ArrowRight');
  }

  /** Waits until the quick input (palette, Quick Open) is gone: keys sent while it fades out go nowhere. */
  async quickInputClosed(): Promise<void> {
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** The active editor (its text area is what receives typing). */
  editor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-instance .monaco-editor').first();
  }

  /** Starts a new line at the end of the active editor's text. */
  async newLineAtEnd(): Promise<void> {
    await this.editor().locator('.view-lines').click();
    await this.page.keyboard.press('Control+End');
    await this.page.keyboard.press('Enter');
  }

  async type(text: string): Promise<void> {
    await this.page.keyboard.type(text, { delay: 25 });
  }

  /** Runs a command from the command palette by its title; `opensQuickInput` for commands that show a picker. */
  async runCommand(title: string, opensQuickInput = false): Promise<void> {
    await this.quickInputClosed();
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    // Right after start-up (and on a loaded machine) the palette may not list every command yet: ask again.
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('F1');
      const input = this.page.locator('.quick-input-widget input');
      await input.waitFor();
      await input.fill(`>${title}`);
      if (await row.waitFor({ timeout: 20_000 }).then(() => true, () => false)) break;
      if (attempt === 4) await row.waitFor({ timeout: 1 });
      for (let i = 0; i < 3 && (await this.page.locator('.quick-input-widget').isVisible()); i++) {
        await this.page.keyboard.press('Escape');
        await this.page.waitForTimeout(300);
      }
      await this.quickInputClosed();
    }
    await this.page.keyboard.press('Enter');
    if (!opensQuickInput) await this.quickInputClosed();
  }

  suggestRows(): Locator {
    return this.page.locator('.suggest-widget.visible .monaco-list-row');
  }

  /** Label and right-hand details of every visible suggestion row, top to bottom. */
  async suggestions(): Promise<{ label: string; details: string }[]> {
    await this.suggestRows().first().waitFor({ timeout: 60_000 });
    const rows = await this.suggestRows().all();
    const out: { label: string; details: string }[] = [];
    for (const r of rows) {
      const label = (await r.locator('.label-name').first().textContent()) ?? '';
      const details = (await r.locator('.label-description, .details-label, .label-right').allTextContents()).join(' ').trim();
      out.push({ label: label.trim(), details });
    }
    return out;
  }

  ghostText(): Locator {
    return this.editor().locator('.ghost-text-decoration, .ghost-text');
  }

  /**
   * Text of the last rendered line of the active editor that contains `contains`; when `expect` is given, waits (up to
   * 10 s) for the line to read so, since edits render asynchronously.
   */
  async lineText(contains: string, expect?: string): Promise<string> {
    const line = this.editor().locator('.view-line', { hasText: contains }).last();
    const read = async () => ((await line.textContent()) ?? '').replace(/\u00a0/g, ' ');
    for (let i = 0; expect !== undefined && i < 100 && (await read()) !== expect; i++) await this.page.waitForTimeout(100);
    return read();
  }

  /**
   * Points the mouse at the last `needle` rendered in the active editor and returns the hover that appears. The text
   * may be split over several spans (bracket-pair colouring splits `[`, `MASK`, `]`), so the target is found with a
   * DOM Range over the text node rather than by element.
   */
  async hoverText(needle: string, expect: string | RegExp): Promise<Locator> {
    const find = `((needle) => {
      const lines = [...document.querySelectorAll('.editor-group-container.active .monaco-editor .view-line')].reverse();
      for (const line of lines) {
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const at = n.textContent.lastIndexOf(needle);
          if (at < 0) continue;
          const r = document.createRange();
          r.setStart(n, at);
          r.setEnd(n, at + needle.length);
          const b = r.getBoundingClientRect();
          return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
        }
      }
      return null;
    })(${JSON.stringify(needle)})`;
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content', { hasText: expect }).first();
    for (let i = 0; i < 30; i++) {
      const at = await this.page.evaluate<{ x: number; y: number } | null>(find);
      if (at) {
        await this.page.mouse.move(at.x - 3, at.y);
        await this.page.mouse.move(at.x, at.y);
      }
      if (await hover.waitFor({ timeout: 2_000 }).then(() => true, () => false)) return hover;
    }
    await hover.waitFor({ timeout: 1 });
    return hover;
  }

  statusBarItem(text: string | RegExp): Locator {
    return this.page.locator('.part.statusbar .statusbar-item', { hasText: text });
  }

  /**
   * Opens the Notifications center (the smoke-test driver suppresses toasts, not the center) and waits for an entry
   * matching `text`.
   */
  async notification(text: string | RegExp): Promise<Locator> {
    await this.runCommand('Notifications: Show Notifications');
    const item = this.page.locator('.notifications-center .notification-list-item', { hasText: text });
    await item.first().waitFor({ timeout: 60_000 });
    return item.first();
  }

  async notificationTexts(): Promise<string[]> {
    return this.page.locator('.notifications-center .notification-list-item').allInnerTexts();
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  /** Escapes out of widgets and moves the mouse away, so one test's popups don't cover the next one's. */
  async dismiss(): Promise<void> {
    await this.page.mouse.move(2, 2);
    for (let i = 0; i < 3; i++) await this.page.keyboard.press('Escape');
  }

  /** Reverts and closes all editors, leaving the sample files as they were. */
  async closeAllEditors(): Promise<void> {
    await this.dismiss();
    const tabs = this.page.locator('.tabs-container .tab');
    for (let i = 0; i < 10 && (await tabs.count()) > 0; i++) {
      const before = await tabs.count();
      await this.runCommand('View: Revert and Close Editor');
      for (let j = 0; j < 50 && (await tabs.count()) >= before; j++) await this.page.waitForTimeout(100);
    }
  }
}
