/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core, against one
 * server seeded like a busy collaboration (src/testing/seed.ts), one browser for every view.
 * Each view is visited, its main flow clicked, and screenshotted at laptop and phone width into
 * test-artifacts/dashboard/ (the path is printed). PGlite only: the views read the API, which
 * the rest of the suite tests on both engines (docs/decisions/0200). Under CI a missing
 * Chromium fails the test instead of skipping it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestServer, type TestServer } from '@agora/server/testing';
import { buildIfStale } from './build.ts';
import { webRoot } from './dist.ts';
import { CHROMIUM, CHROMIUM_ARGS, Dashboard, runOne, seed, SMALL, type Seeded } from './testing/index.ts';

const engine = process.env.AGORA_TEST_ENGINE ?? 'pglite';
const missing = !existsSync(CHROMIUM);
if (missing && process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: scripts/setup.sh test installs it (Debian package chromium); CI must run the browser test`);
const skip = engine !== 'pglite' ? 'the browser test runs on PGlite only (docs/decisions/0200)' : missing ? `no Chromium at ${CHROMIUM} (scripts/setup.sh test installs it)` : false;
const ARTIFACTS = process.env.AGORA_TEST_ARTIFACTS ?? join(webRoot, '..', '..', 'test-artifacts', 'dashboard');

describe('the dashboard in a browser', { skip, timeout: 600_000 }, () => {
  let t: TestServer;
  let s: Seeded;
  let browser: Browser;
  let d: Dashboard;
  before(async () => {
    await buildIfStale();
    t = await startTestServer();
    const t0 = performance.now();
    s = await seed(t, SMALL);
    console.log(`seeded ${SMALL.agents} agents, ${s.submissions.length} submissions, ${s.threads.length} threads in ${Math.round(performance.now() - t0)} ms`);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    d = await Dashboard.open(browser, t.url, t.collab, ARTIFACTS);
    console.log(`screenshots: ${ARTIFACTS}`);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('overview: the goal, the best verified result with its speed-up, counts and live activity', async () => {
    await d.goto();
    const o = d.overview();
    await o.best.waitFor();
    assert.match((await o.best.textContent()) ?? '', /× the baseline/);
    const total = (await t.anonymous.call('lineage', { params: { collab: t.collab }, query: {} })).nodes.length;
    assert.ok(total > s.submissions.length, 'the simulator\'s and the volume\'s');
    await o.counts.getByText(String(total), { exact: true }).first().waitFor();
    await o.activity.locator('li').first().waitFor();
    await d.page.locator('#progress canvas').first().waitFor();
    await d.screenshots('overview');
  });

  test('leaderboard: ranks, badges and filters; a row opens its submission page', async () => {
    await d.nav('Leaderboard');
    const lb = d.leaderboard();
    await lb.rows.nth(5).waitFor();
    await lb.filter('Badge', 'verified');
    await d.page.waitForURL(/badge=verified/);
    const rows = await lb.rows.count();
    assert.ok(rows >= 1, 'verified entries');
    assert.equal(await lb.table.locator('tbody tr .badge-verified').count(), rows, 'every row shown is verified');
    await d.screenshots('leaderboard');
    await lb.rows.first().getByRole('link').first().click();
    await d.page.waitForURL(/\/submissions\/\d+$/);
    await d.page.getByTestId('jobs').locator('li').first().waitFor();
    await d.page.getByText(/against #s\d+/).first().waitFor();
    await d.screenshots('submission');
  });

  test('an invalidated submission links the ruling', async () => {
    await d.goto(`/submissions/${s.invalidated}`);
    await d.page.getByText('Invalidated by a ruling').waitFor();
    await d.page.getByRole('link', { name: 'read the ruling' }).click();
    await d.page.waitForURL(/\/posts\/\d+$/);
    await d.page.locator('article.pinned').first().waitFor();
  });

  test('board: threads, search, and a post written elsewhere arrives live; participant markup stays text', async () => {
    await d.goto('/board');
    const b = d.board();
    await b.threads.locator('li').nth(10).waitFor();
    await d.screenshots('board');
    await s.human.call('createPost', { params: { collab: t.collab }, body: { title: '<img src=x onerror="window.__pwned=1"> arrived live', tags: ['result'], body: 'Body with <script>window.__pwned=2</script> and <b>tags</b>.' } });
    await b.threads.getByText('arrived live').waitFor({ timeout: 15_000 });
    assert.match((await b.threads.textContent()) ?? '', /<img src=x onerror="window.__pwned=1"> arrived live/, 'the title shows as text');
    await b.threads.getByText('arrived live').click();
    await d.page.getByText('Body with <script>').waitFor();
    assert.equal(await d.page.evaluate(() => (globalThis as { __pwned?: number }).__pwned ?? 0), 0, 'no participant markup ran');
    assert.equal(await d.page.locator('main img, main script').count(), 0);
    await d.goto('/board');
    await b.search('arrived');
    await d.page.getByRole('region', { name: 'Search results' }).getByText('arrived live').waitFor();
  });

  test('thread: a signed-in human replies, references become links', async () => {
    const thread = s.threads[0]!;
    await d.goto(`/posts/${thread}`);
    await d.page.locator(`article[data-post="${thread}"]`).waitFor();
    await d.signIn(s.human.apiKey!);
    const th = d.thread();
    await th.reply(`I checked #s${s.submissions[0]} myself, @agent-01.`);
    const mine = th.replies.locator('article', { hasText: 'I checked' });
    await mine.waitFor();
    assert.equal(await mine.getByRole('link', { name: `#s${s.submissions[0]}` }).getAttribute('href'), `/c/${t.collab}/submissions/${s.submissions[0]}`);
    assert.equal(await mine.getByRole('link', { name: '@agent-01' }).getAttribute('href'), `/c/${t.collab}/people/agent-01`);
    await d.screenshots('thread');
    await d.signOut();
  });

  test('knowledge base: a page, its history and the diff between revisions', async () => {
    await d.nav('Knowledge');
    await d.page.getByRole('link', { name: 'Measurement notes' }).click();
    await d.page.getByTestId('history').locator('li').nth(3).waitFor();
    await d.page.getByTestId('history').getByRole('link', { name: 'diff' }).first().click();
    await d.page.locator('pre.diff .add').first().waitFor();
    await d.screenshots('knowledge');
  });

  test('organizer: signs in with a key and rules on a flag from the queue', async () => {
    await d.goto('/organizer');
    await d.signIn(s.organizer.apiKey!);
    const o = d.organizer();
    await o.flags.getByText(`#f${s.openFlag}`).waitFor();
    await d.screenshots('organizer');
    await o.rule(`#f${s.openFlag}`, 'dismiss', 'Attribution is fine', 'The two share a parent; no credit was missing.');
    await o.flags.getByText(`#f${s.openFlag}`).waitFor({ state: 'detached' });
    await d.page.getByRole('link', { name: 'Attribution is fine' }).waitFor();
    await d.signOut();
  });

  test('a job finishes live on its page, with its logs', async () => {
    const last = s.submissions.at(-1)!;
    const job = await s.authors.get(last)!.call('createJob', { params: { collab: t.collab }, body: { submissionId: last, split: 'public' } });
    await d.goto(`/jobs/${job.id}`);
    const j = d.job();
    await j.state.getByText('queued').waitFor();
    // The runner takes jobs in queue order (the verifier may have queued some): run until it took this one.
    for (let i = 0; i < 50; i++) {
      const ran = await runOne(s.runner, () => ({ score: 30, guardrailPassed: true }), { logs: ['warming up', 'scored 30 points'] });
      if (ran === job.id || ran === null) break;
    }
    await j.state.getByText('succeeded').waitFor({ timeout: 15_000 });
    await j.logs.getByText('scored 30 points').waitFor({ timeout: 15_000 });
    await d.screenshots('job');
  });

  test('lineage: the tree on a canvas; find a submission, open it from the tree', async () => {
    await d.nav('Lineage');
    const l = d.lineage();
    const total = (await t.anonymous.call('lineage', { params: { collab: t.collab }, query: {} })).nodes.length;
    await l.status.getByText(`${total} submissions`).waitFor({ timeout: 30_000 });
    await l.canvas.waitFor();
    await d.screenshots('lineage');
    const target = s.submissions[10]!;
    await l.search(`#s${target}`);
    await l.selected.getByRole('link', { name: new RegExp(`^#s${target} `) }).click();
    await d.page.waitForURL(new RegExp(`/submissions/${target}$`));
    await d.goto(`/lineage?focus=${s.invalidated}`);
    await l.selected.getByRole('link', { name: 'the ruling' }).waitFor();
  });

  test('interactions and a participant profile', async () => {
    await d.nav('Interactions');
    await d.page.getByTestId('interaction-edges').locator('tbody tr').nth(3).waitFor();
    await d.page.getByTestId('measures').locator('tbody tr').nth(SMALL.agents - 1).waitFor();
    await d.page.locator('.small-graph canvas').first().waitFor();
    // The relay the simulator planted is found and linked.
    const relay = s.truth.relays[0]!;
    await d.page.getByTestId('relays').getByRole('link', { name: `#s${relay.frontier}`, exact: true }).first().waitFor();
    await d.screenshots('interactions');
    await d.page.getByTestId('interaction-edges').locator('tbody tr').first().getByRole('link').first().click();
    await d.page.waitForURL(/\/people\//);
    await d.page.getByRole('heading', { name: 'Submissions' }).waitFor();
    await d.page.getByTestId('person-measures').waitFor();
    await d.screenshots('person');
  });

  test('frontier: the primary metric against the guardrail, with the front', async () => {
    await d.nav('Frontier');
    await d.page.locator('.plot canvas').first().waitFor();
    await d.page.getByText(/on the front:/).first().waitFor();
    await d.screenshots('frontier');
  });

  test('no view logged an error', () => {
    assert.deepEqual(d.errors, []);
  });
});
