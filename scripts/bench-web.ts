/**
 * `npm run bench:web`: the dashboard in Debian's Chromium (playwright-core) against a seeded
 * PGlite server (packages/web/src/testing/seed.ts):
 *   - the first paint of each view (first-contentful-paint) and the time until its data is on
 *     screen, from a cold navigation, median of BENCH_RUNS (default 5);
 *   - the lineage view at BENCH_NODES (default 5,000) submissions: layout (worker) and first
 *     render times, and the frame rate while panning and zooming, against the same browser's
 *     frame rate on an idle page (the machine's ceiling, in the same run). The 5,000-node answer
 *     is a synthetic lineage (random DAG, 1-2 parents among the previous 200, scores, a few
 *     invalid) served in place of GET .../lineage, so the figure is the view's, not the seed's.
 * Prints a markdown table.
 */
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startTestServer } from '@agora/server/testing';
import { buildIfStale } from '@agora/web/build';
import { mulberry32 } from '@agora/core';
import { CHROMIUM, CHROMIUM_ARGS, LAPTOP, seed, SMALL } from '@agora/web/testing';
import type { Page } from 'playwright-core';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** BENCH_ONLY=lineage: the 5,000-node part alone (it needs no seed: its answer is synthetic). */
const ONLY_LINEAGE = process.env.BENCH_ONLY === 'lineage';
const NODES = Number(process.env.BENCH_NODES ?? 5000);

await buildIfStale();
const t = await startTestServer();
const t0 = performance.now();
const s = ONLY_LINEAGE ? null : await seed(t, SMALL);
const seedMs = performance.now() - t0;
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** [view, path, a selector that is visible once the view's data is painted] */
const VIEWS: Array<[string, string, string]> = [
  ['overview', '', '[data-testid="best-result"]'],
  ['leaderboard', '/leaderboard', '[data-testid="leaderboard"] tbody tr'],
  ['submission', `/submissions/${s?.submissions[40]}`, '[data-testid="jobs"] li'],
  ['lineage (seed)', '/lineage', '[data-testid="lineage-status"][data-render-ms]'],
  ['frontier', '/frontier', '.plot canvas'],
  ['board', '/board', '[data-testid="threads"] li'],
  ['thread', `/posts/${s?.threads[0]}`, 'article.post'],
  ['knowledge', '/kb/measurement', '[data-testid="history"] li'],
  ['interactions', '/interactions', '[data-testid="interaction-edges"] tbody tr'],
  ['organizer (signed out)', '/organizer', '.panel'],
];

async function firstPaint(path: string, ready: string) {
  const ctx = await browser.newContext({ viewport: LAPTOP });
  const page = await ctx.newPage();
  const start = performance.now();
  await page.goto(`${t.url}/c/${t.collab}${path}`);
  await page.locator(ready).first().waitFor({ timeout: 300_000 });
  const dataMs = performance.now() - start;
  const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN);
  await ctx.close();
  return { fcp, dataMs };
}

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB; Chromium ${browser.version()} headless, SwiftShader WebGL`);
if (s) console.log(`seed: ${SMALL.simulated} simulated + ${SMALL.agents} agents, ${s.submissions.length} submissions, ${s.threads.length} threads (+ replies) in ${(seedMs / 1000).toFixed(1)} s; ${RUNS} runs each, medians\n`);
if (s) console.log('| view | first contentful paint (ms) | data on screen (ms) |\n| --- | --- | --- |');
for (const [name, path, ready] of s ? VIEWS : []) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await firstPaint(path, ready));
  console.log(`| ${name} | ${median(runs.map((r) => r.fcp)).toFixed(0)} | ${median(runs.map((r) => r.dataMs)).toFixed(0)} |`);
}

/** A lineage answer of n nodes, shaped as the API's (schema in core). */
function syntheticLineage(n: number) {
  const r = mulberry32(5000);
  const nodes = [];
  for (let i = 1; i <= n; i++) {
    const parents = i === 1 ? [] : [...new Set([Math.max(1, i - 1 - Math.floor(r() * 200)), ...(r() < 0.3 ? [Math.max(1, i - 1 - Math.floor(r() * 200))] : [])])];
    const invalid = r() < 0.02;
    nodes.push({
      id: i, ref: `#s${i}`, title: `candidate ${i}`, author: `agent-${1 + Math.floor(r() * 60)}`, credits: [], sponsors: [], parents, levers: ['kv-cache'], duplicateOf: null,
      createdAt: new Date(Date.UTC(2026, 11, 1) + i * 60_000).toISOString(),
      standing: { state: invalid ? 'invalid' : 'valid', invalidatedBy: invalid ? { rulingId: 1, postId: 1, postUrl: '/x', at: new Date().toISOString() } : null, withdrawn: null },
      badges: invalid ? ['invalid'] : [],
      scores: r() < 0.7 ? [{ hardwareClass: 'cpu', mean: 10 + i / 100 + r() * 5, ciLow: null, ciHigh: null, n: 3, jobs: 1, rank: null, tier: null, guardrailsPassed: true }] : [],
    });
  }
  return { metric: { name: 'score', unit: 'points', direction: 'maximize' }, split: 'public', nodes };
}

/** Frames per second over `ms` while `drive` runs (requestAnimationFrame callbacks counted in the page). */
async function fps(page: Page, ms: number, drive: () => Promise<void>) {
  await page.evaluate(() => {
    const w = globalThis as unknown as { __frames: number; __counting: boolean; requestAnimationFrame: (f: () => void) => void };
    const requestAnimationFrame = (f: () => void) => w.requestAnimationFrame(f);
    w.__frames = 0;
    w.__counting = true;
    const tick = () => {
      w.__frames++;
      if (w.__counting) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const start = performance.now();
  while (performance.now() - start < ms) await drive();
  const elapsed = performance.now() - start;
  const frames = await page.evaluate(() => {
    const w = globalThis as unknown as { __frames: number; __counting: boolean };
    w.__counting = false;
    return w.__frames;
  });
  return (frames * 1000) / elapsed;
}

const body = JSON.stringify(syntheticLineage(NODES));
const layout: number[] = [];
const render: number[] = [];
const rate: number[] = [];
const idle: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const ctx = await browser.newContext({ viewport: LAPTOP });
  const page = await ctx.newPage();
  await page.route('**/v1/collaborations/*/lineage', (route) => route.fulfill({ status: 200, contentType: 'application/json', body }));
  await page.goto(`${t.url}/c/${t.collab}/lineage`);
  const status = page.locator('[data-testid="lineage-status"][data-render-ms]');
  await status.waitFor({ timeout: 120_000 });
  layout.push(Number(await status.getAttribute('data-layout-ms')));
  render.push(Number(await status.getAttribute('data-render-ms')));
  const box = (await page.locator('.lineage-box').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  let k = 0;
  rate.push(
    await fps(page, 3000, async () => {
      k++;
      if (k % 20 < 10) {
        await page.mouse.down();
        await page.mouse.move(cx + ((k % 10) - 5) * 20, cy + ((k % 7) - 3) * 15, { steps: 4 });
        await page.mouse.up();
      } else await page.mouse.wheel(0, k % 2 ? 120 : -120);
    }),
  );
  await page.goto('about:blank');
  idle.push(await fps(page, 3000, () => new Promise((r) => setTimeout(r, 50))));
  await ctx.close();
}

await browser.close();
await t.close();
console.log(`\n| lineage at ${NODES} nodes | median | all runs |\n| --- | --- | --- |`);
console.log(`| layout in the worker, posted back (ms) | ${median(layout).toFixed(0)} | ${layout.map((x) => x.toFixed(0)).join(', ')} |`);
console.log(`| graph built and first frame (ms) | ${median(render).toFixed(0)} | ${render.map((x) => x.toFixed(0)).join(', ')} |`);
console.log(`| frames per second, panning and zooming | ${median(rate).toFixed(1)} | ${rate.map((x) => x.toFixed(1)).join(', ')} |`);
console.log(`| frames per second, idle page (baseline) | ${median(idle).toFixed(1)} | ${idle.map((x) => x.toFixed(1)).join(', ')} |`);
