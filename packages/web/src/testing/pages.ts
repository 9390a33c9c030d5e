/**
 * Page objects for the dashboard's browser test and benchmark: each view's addresses, the
 * controls a person uses, and what the test reads back, so the tests say what they do
 * ("reply", "rule on a flag") rather than which selector they click.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const LAPTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const CHROMIUM = process.env.AGORA_CHROMIUM ?? '/usr/bin/chromium';
/** Software WebGL (SwiftShader): the lineage view draws with WebGL, and CI has no GPU. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--mute-audio'];

export class Dashboard {
  readonly errors: string[] = [];
  readonly page: Page;
  readonly url: string;
  readonly collab: string;
  readonly artifacts: string;
  constructor(page: Page, url: string, collab: string, artifacts: string) {
    this.page = page;
    this.url = url;
    this.collab = collab;
    this.artifacts = artifacts;
    page.on('pageerror', (e) => this.errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) this.errors.push(m.text());
    });
  }

  static async open(browser: Browser, url: string, collab: string, artifacts: string): Promise<Dashboard> {
    mkdirSync(artifacts, { recursive: true });
    const page = await browser.newPage({ viewport: LAPTOP });
    return new Dashboard(page, url, collab, artifacts);
  }

  path(view = ''): string {
    return `${this.url}/c/${this.collab}${view}`;
  }

  async goto(view = ''): Promise<void> {
    await this.page.goto(this.path(view));
  }

  /** Clicks a link in the views navigation (the menu button first on a phone). */
  async nav(label: string): Promise<void> {
    const menu = this.page.getByRole('button', { name: 'Menu' });
    if (await menu.isVisible()) await menu.click();
    await this.page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: label, exact: true }).click();
  }

  /** A screenshot of the current view at laptop and at phone width; answers the two files. */
  async screenshots(name: string, ready?: () => Promise<void>): Promise<string[]> {
    const files: string[] = [];
    for (const [label, size] of [['laptop', LAPTOP], ['phone', PHONE]] as const) {
      await this.page.setViewportSize(size);
      await ready?.();
      // Canvases follow their box on the next resize callback; then nothing may be wider than the
      // screen (tables scroll inside their own box): a phone never scrolls sideways.
      const fits = 'document.documentElement.scrollWidth <= window.innerWidth + 1';
      await this.page.waitForFunction(fits, undefined, { timeout: 30_000 }).catch(() => {});
      if (!(await this.page.evaluate(fits))) this.errors.push(`${name} at ${label} width: the page is ${await this.page.evaluate('document.documentElement.scrollWidth')} px wide, the screen ${size.width}`);
      const file = join(this.artifacts, `${name}-${label}.png`);
      await this.page.screenshot({ path: file, fullPage: true });
      files.push(file);
    }
    await this.page.setViewportSize(LAPTOP);
    return files;
  }

  async signIn(key: string): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign in' }).first().click();
    await this.page.getByLabel('API key').fill(key);
    await this.page.locator('form.signin').getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByTestId('signed-in-as').waitFor();
  }

  async signOut(): Promise<void> {
    await this.page.getByRole('button', { name: 'Sign out' }).click();
    await this.page.getByRole('button', { name: 'Sign in' }).waitFor();
  }

  overview() {
    const page = this.page;
    return {
      best: page.getByTestId('best-result'),
      counts: page.getByTestId('counts'),
      activity: page.getByTestId('activity'),
    };
  }

  leaderboard() {
    const page = this.page;
    const table = page.getByTestId('leaderboard');
    return {
      table,
      rows: table.locator('tbody tr'),
      filter: (label: 'Hardware' | 'Badge' | 'Lever', value: string) => page.getByLabel(label).selectOption(value),
    };
  }

  thread() {
    const page = this.page;
    return {
      replies: page.getByTestId('replies'),
      post: (id: number) => page.locator(`article[data-post="${id}"]`),
      reply: async (text: string) => {
        await page.getByLabel(/Your reply/).fill(text);
        await page.getByRole('button', { name: 'Post reply' }).click();
      },
    };
  }

  board() {
    const page = this.page;
    return {
      threads: page.getByTestId('threads'),
      search: async (q: string) => {
        await page.getByRole('searchbox').first().fill(q);
        await page.getByRole('searchbox').first().press('Enter');
      },
    };
  }

  job() {
    return { state: this.page.getByTestId('job-state'), logs: this.page.getByTestId('logs') };
  }

  lineage() {
    const page = this.page;
    return {
      canvas: page.locator('.lineage-box canvas').first(),
      status: page.getByTestId('lineage-status'),
      search: async (q: string) => {
        await page.getByLabel('Find a submission').fill(q);
        await page.getByLabel('Find a submission').press('Enter');
      },
      selected: page.getByTestId('lineage-selected'),
    };
  }

  organizer() {
    const page = this.page;
    return {
      flags: page.getByTestId('flag-queue'),
      rule: async (flagRef: string, kind: 'uphold' | 'dismiss', title: string, text: string) => {
        const item = page.getByTestId('flag-queue').locator('li', { hasText: flagRef });
        await item.getByRole('button', { name: 'Rule…' }).click();
        const form = page.getByRole('form', { name: 'Ruling' });
        await form.getByLabel('Decision').selectOption(kind);
        await form.getByLabel('Title').fill(title);
        await form.getByLabel('Reasons').fill(text);
        await form.getByRole('button', { name: 'Publish ruling' }).click();
      },
    };
  }
}
