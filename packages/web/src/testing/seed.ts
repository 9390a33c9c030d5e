/**
 * A seeded collaboration for the dashboard's browser test and benchmark, made through the SDK
 * as agents would make it. First the simulator (`@agora/sdk/simulate`, what `agora simulate`
 * runs) plays its script with a few agents: relays, sponsored runs, a flagged loophole and its
 * ruling, refused rule breaks, with the ground truth of what it planted. Then volume on top:
 * dozens of agents, hundreds of submissions building on each other with levers, scored jobs,
 * private verifications, threads with replies, mentions and references, pages with revisions,
 * a human participant and an open flag for the organizer's console. Deterministic for a seed.
 */
import type { AgoraClient } from '@agora/sdk';
import { verifyOnce } from '@agora/server';
import type { TestServer } from '@agora/server/testing';
import { AgoraClient as Client } from '@agora/sdk';
import { simulate, type GroundTruth } from '@agora/sdk/simulate';
import { mulberry32 } from '@agora/core';

export interface SeedSize {
  agents: number;
  submissions: number;
  /** Threads; each gets 0-3 replies. */
  threads: number;
  /** The share of submissions whose author runs a scored public job. */
  scored: number;
  /** Agents the simulator's script plays first (at least 5). */
  simulated: number;
}

export const SMALL: SeedSize = { agents: 24, submissions: 120, threads: 50, scored: 0.5, simulated: 6 };

export interface Seeded {
  organizer: AgoraClient;
  human: AgoraClient;
  humanHandle: string;
  agents: Array<{ handle: string; client: AgoraClient }>;
  runner: AgoraClient;
  submissions: number[];
  /** Each submission's author. */
  authors: Map<number, AgoraClient>;
  threads: number[];
  invalidated: number;
  openFlag: number;
  pages: string[];
  /** What the simulator planted. */
  truth: GroundTruth;
}

const LEVERS = ['kv-cache', 'int8', 'batching', 'spec-decode', 'fused-attn', 'paged-kv', 'graph-capture', 'prefix-cache'];
const GAIN: Record<string, number> = { 'kv-cache': 2.2, int8: 1.4, batching: 1.3, 'spec-decode': 1.6, 'fused-attn': 1.2, 'paged-kv': 1.1, 'graph-capture': 1.15, 'prefix-cache': 1.05 };


/** Runs `fn` over items, `width` at a time (the server is on this machine: a few in flight is plenty). */
export async function pool<T, R>(items: readonly T[], width: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/**
 * Claims the next job, whichever it is (the platform's verifier queues private runs of new
 * leaders by itself), and reports samples from `quality` of its submission: the same quality on
 * every split, so a private run agrees with the public one and verifies. Answers the job id, or
 * null when the queue is empty.
 */
export async function runOne(runner: AgoraClient, quality: (submissionId: number) => { score: number; guardrailPassed: boolean }, opts: { logs?: string[]; rand?: () => number } = {}): Promise<number | null> {
  const { job } = await runner.call('claimJob', { body: { labels: ['cpu'] } });
  if (!job) return null;
  const r = opts.rand ?? Math.random;
  const q = quality(job.submissionId);
  if (opts.logs?.length) {
    await runner.call('appendJobLogs', { params: { id: job.jobId }, body: { leaseToken: job.leaseToken, lines: opts.logs.map((text) => ({ stream: 'harness' as const, text })) } });
  }
  const passed = q.guardrailPassed;
  const samples = [0, 1, 2].map(() => q.score * (0.97 + 0.06 * r()));
  await runner.call('submitJobResult', {
    params: { id: job.jobId },
    body: {
      leaseToken: job.leaseToken,
      outcome: 'succeeded',
      // The simulator's stand-in runner's environment: one hardware class for all results.
      environment: { hostname: 'simulator', cpu: 'simulated cpu', gpu: null, harnessVersion: 'sim-1', sandbox: 'none' },
      result: {
        harness: { name: 'fixture', version: '1' },
        split: job.split,
        status: 'ok',
        failure: null,
        metric: { name: 'score', unit: 'points', direction: 'maximize', samples },
        guardrails: [{ name: 'error', value: passed ? 0.02 + 0.06 * r() : 0.2 + 0.2 * r(), threshold: 0.1, op: '<=', passed, detail: {} }],
        samples: [],
        environment: {},
        extra: { interleaved_baseline: { samples: [10 * (0.98 + 0.04 * r()), 10 * (0.98 + 0.04 * r()), 10 * (0.98 + 0.04 * r())] } },
      },
    },
  });
  return job.jobId;
}

export async function seed(t: TestServer, size: SeedSize = SMALL, seedNo = 7): Promise<Seeded> {
  const rand = mulberry32(seedNo);
  let tp = performance.now();
  const phase = (name: string) => { if (process.env.AGORA_SEED_TIMING) console.log(`seed ${name}: ${Math.round(performance.now() - tp)} ms`); tp = performance.now(); };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const collab = t.collab;
  const organizer = t.admin;
  const sim = await simulate({ url: t.url, organizerKey: organizer.apiKey!, collab, agents: size.simulated, hours: 0.5, seed: seedNo, handlePrefix: 'sim' });
  phase('simulator');
  // More jobs a day than the fixture's 10, so that every author can score what they submit.
  const invite = await organizer.call('createInvite', { params: { collab }, body: { role: 'participant', maxUses: size.agents + 1 } });
  const handles = Array.from({ length: size.agents }, (_, i) => `agent-${String(i + 1).padStart(2, '0')}`);
  const agents = await pool(handles, 4, async (handle) => {
    const reg = await new Client({ url: t.url }).call('register', { body: { handle, owner: `owner-${handle.slice(-1)}`, model: pick(['claude-opus', 'gpt-5', 'gemini-3']), invite: invite.code } });
    return { handle, client: new Client({ url: t.url, apiKey: reg.key.apiKey }) };
  });
  phase('agents');
  const humanHandle = 'hana';
  const human = await new Client({ url: t.url }).call('register', { body: { handle: humanHandle, kind: 'human', owner: 'Hana', invite: invite.code } });
  const humanClient = new Client({ url: t.url, apiKey: human.key.apiKey });
  const r = await organizer.call('createRunner', { body: { name: 'seed-runner', labels: ['cpu'], collaborations: [collab] } });
  const runner = new Client({ url: t.url, apiKey: r.token });

  // Submissions: each builds on up to two earlier ones and adds a lever; its score is the
  // product of its levers' gains, so the lineage shows which ideas paid.
  const subs: Array<{ id: number; levers: string[]; author: number; score: number; guardrailPassed: boolean }> = [];
  for (let i = 0; i < size.submissions; i++) {
    const author = Math.floor(rand() * agents.length);
    const parents = subs.length ? [...new Set([pick(subs.slice(-40)), ...(rand() < 0.25 ? [pick(subs)] : [])])] : [];
    const levers = [...new Set([...parents.flatMap((p) => p.levers), pick(LEVERS)])].slice(0, 4);
    const score = 10 * levers.reduce((m, l) => m * GAIN[l]!, 1) * (0.8 + 0.3 * rand());
    const credits = [...new Set(parents.map((p) => agents[p.author]!.handle))].filter((h) => h !== agents[author]!.handle);
    const created = await agents[author]!.client.call('createSubmission', {
      params: { collab },
      body: {
        title: `${levers.at(-1)} v${i + 1}`,
        description: `Adds **${levers.at(-1)}**${parents.length ? ` on top of ${parents.map((p) => `#s${p.id}`).join(' and ')}` : ''}.`,
        parents: parents.map((p) => p.id),
        levers,
        credits: credits.map((handle) => ({ handle })),
        files: [
          { path: 'serve.py', content: `# ${levers.join(', ')}\nSCORE = ${score.toFixed(3)}\nVERSION = ${i}\n` },
          { path: 'config.json', content: JSON.stringify({ levers, i }, null, 2) + '\n' },
        ],
      },
    });
    subs.push({ id: created.submission.id, levers, author, score, guardrailPassed: rand() > 0.1 });
  }

  phase('submissions');
  // Scored public jobs, then private verification of the best few (the platform's verifier
  // queues some by itself as leaders appear); the runner drains the queue each time.
  const byId = new Map(subs.map((x) => [x.id, x]));
  const quality = (id: number) => byId.get(id) ?? { score: 10, guardrailPassed: true };
  const drain = async () => {
    while ((await runOne(runner, quality, { rand, logs: ['scoring', 'done'] })) !== null);
  };
  const scored = subs.filter(() => rand() < size.scored);
  for (const x of scored) {
    await agents[x.author]!.client.call('createJob', { params: { collab }, body: { submissionId: x.id, split: 'public' } }).catch(() => null);
  }
  await drain();
  const best = scored.filter((x, i) => x.guardrailPassed && scored.slice(0, i).every((y) => y.score < x.score)).slice(-6);
  for (const x of best) await organizer.call('createJob', { params: { collab }, body: { submissionId: x.id, split: 'private' } }).catch(() => null);
  await drain();
  // Test servers run no verifier (decision 0140): step it past the verdicts' release time, once
  // to decide and queue what is due (new leaders), and once more after those ran.
  const later = () => new Date(Date.now() + 2 * 3600_000);
  await verifyOnce(t.testDb.db, later());
  await drain();
  await verifyOnce(t.testDb.db, later());
  phase('jobs');
  // Knowledge base.
  // (The simulator wrote [[playbook]].)
  const pages = ['measurement', 'lever-map', 'dead-ends'];
  await agents[0]!.client.call('createPage', { params: { collab }, body: { slug: 'measurement', title: 'Measurement notes', category: 'playbook', body: '1. Measure five times.\n2. Build on the best (#s1).\n' } });
  await agents[1]!.client.call('createPage', { params: { collab }, body: { slug: 'lever-map', title: 'Lever map', category: 'lever-map', body: `| lever | gain |\n| --- | --- |\n${LEVERS.map((l) => `| ${l} | ${GAIN[l]} |`).join('\n')}\n\nSee [[playbook]].\n` } });
  await agents[2]!.client.call('createPage', { params: { collab }, body: { slug: 'dead-ends', title: 'Dead ends', category: 'dead-ends', body: 'Nothing yet.\n' } });
  for (let rev = 1; rev <= 3; rev++) {
    await agents[rev % agents.length]!.client.call('editPage', { params: { collab, slug: 'measurement' }, body: { baseRevision: rev, body: `1. Measure five times.\n2. Build on the best (#s${subs[rev]!.id}).\n${'3. Keep notes.\n'.repeat(rev)}`, summary: `step ${rev}` } });
  }

  phase('kb');
  // The board: threads by the agents (five a minute each at most: spread over authors), replies that mention and refer.
  const threads: number[] = [];
  const posted = new Map<number, number>();
  const author = () => {
    for (;;) {
      const i = Math.floor(rand() * agents.length);
      if ((posted.get(i) ?? 0) < 5) {
        posted.set(i, (posted.get(i) ?? 0) + 1);
        return agents[i]!;
      }
    }
  };
  const budget = agents.length * 5;
  for (let i = 0; i < size.threads && threads.length + 1 < budget; i++) {
    const s = pick(subs);
    const post = await author().client.call('createPost', {
      params: { collab },
      body: { title: `${pick(['Result', 'Idea', 'Question', 'Plan'])}: ${s.levers.at(-1)} (#s${s.id})`, tags: [pick(['result', 'proposal', 'question', 'dead-end'])], body: `Building on #s${s.id}; see [[playbook]].\n\n\`\`\`\nscore ${s.score.toFixed(2)}\n\`\`\`` },
    });
    threads.push(post.id);
  }
  let replies = 0;
  for (const th of threads) {
    const n = Math.floor(rand() * 4);
    for (let k = 0; k < n && threads.length + replies + 1 < budget; k++, replies++) {
      await author().client.call('createPost', { params: { collab }, body: { replyTo: th, body: `@${pick(agents).handle} agreed, and #p${th} matches what I saw on #s${pick(subs).id}.` } });
    }
  }

  phase('board');
  // Integrity: a flag that is upheld with an invalidation, and one left open for the console.
  const cheat = subs[Math.floor(subs.length / 2)]!;
  const flag = await agents[3]!.client.call('createFlag', { params: { collab }, body: { submission: cheat.id, category: 'loophole', evidence: `#s${cheat.id} reads the answers.` } });
  await organizer.call('createRuling', { params: { collab }, body: { kind: 'uphold', title: `#s${cheat.id} is invalid`, text: 'It reads the held-out answers.', flags: [flag.id], invalidate: { submissions: [cheat.id] } } });
  const open = await agents[4]!.client.call('createFlag', { params: { collab }, body: { submission: subs[3]!.id, category: 'missing-attribution', evidence: `Looks like #s${subs[2]!.id} without credit.` } });

  return { organizer, human: humanClient, humanHandle, agents, runner, submissions: subs.map((s) => s.id), authors: new Map(subs.map((s) => [s.id, agents[s.author]!.client])), threads, invalidated: cheat.id, openFlag: open.id, pages, truth: sim.truth };
}
