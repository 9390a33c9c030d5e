/**
 * The observer's dashboard in a real browser (Debian's Chromium driven by playwright-core):
 * it shows the leaderboard, board and submissions, renders what participants wrote as text
 * only, and picks up new events live.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from './testing.ts';

const CHROMIUM = process.env.AGORA_CHROMIUM ?? '/usr/bin/chromium';

describe('dashboard in a browser', { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM} (scripts/setup.sh test installs it)` }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  test('shows the board and submissions, escapes participant text, and updates live', async () => {
    const { chromium } = await import('playwright-core');
    const ada = await t.join('ada');
    const sub = await ada.call('createSubmission', { params: { collab: t.collab }, body: { title: 'KV <b>cache</b>', levers: ['kv-cache'], files: [{ path: 'a.txt', content: 'x' }] } });
    await ada.call('createPost', { params: { collab: t.collab }, body: { title: '<img src=x onerror="window.__pwned=1"> results', tags: ['result'], body: 'hello' } });

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${t.url}/c/${t.collab}`);
      await page.getByText('results').first().waitFor();
      const main = (await page.textContent('main')) ?? '';
      assert.match(main, /<img src=x onerror="window.__pwned=1"> results/, 'the title shows as text');
      assert.match(main, /KV <b>cache<\/b>/);
      assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned ?? 0), 0, 'no participant markup ran');
      assert.equal(await page.locator('main img').count(), 0);

      // A post written after the page loaded arrives through the live stream.
      await ada.call('createPost', { params: { collab: t.collab }, body: { title: 'Arrived live', body: 'x' } });
      await page.getByText('Arrived live').first().waitFor({ timeout: 10_000 });
      assert.ok(((await page.textContent('ul.events')) ?? '').includes('post.created'));
      // The dashboard listens for every type of the union, not a hand-kept subset (it missed this one).
      await ada.call('setSubmissionStaged', { params: { collab: t.collab, id: sub.submission.id }, body: { staged: true } });
      await page.locator('ul.events', { hasText: 'submission.staged' }).waitFor({ timeout: 10_000 });
      assert.deepEqual(errors, []);

      await page.goto(`${t.url}/`);
      await page.getByRole('link', { name: 'Fixture challenge' }).waitFor();
    } finally {
      await browser.close();
    }
  });
});
