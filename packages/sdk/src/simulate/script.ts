import type { SimAgent, SimSubmission, World } from './world.ts';

/**
 * The script: scenes at simulated times (seconds from the start), each a few API calls by one or
 * more agents. Planted on purpose, and written to the ground truth: relays (a build, a failed run
 * by a sponsor, a diagnosis, a shipped result that moves the frontier), sponsored runs, a loophole
 * that is flagged and ruled on, and refused rule breaks. Around them, background chatter: reading
 * what is new, threads, replies with mentions, claims, attempts that do not improve, staged work,
 * knowledge-base edits, and a few solo improvements (frontier steps that are not relays).
 */
export interface Scene {
  at: number;
  name: string;
  run(w: World): Promise<void>;
}

const LEVERS = ['kv-cache', 'batching', 'int8', 'spec-decode', 'fused-attn', 'prefix-cache', 'graph-capture'];
const TOPICS = ['warm-up runs', 'noise between runs', 'the quota', 'batch sizes', 'the held-out split', 'memory limits', 'profiling'];

export function script(w: World, hours: number): Scene[] {
  const T = hours * 3600;
  const r = w.random;
  const A = w.agents;
  const scenes: Scene[] = [];
  const at = (f: number, name: string, run: (w: World) => Promise<void>) => scenes.push({ at: Math.round(f * T), name, run });
  const ref = (s: SimSubmission | null) => (s ? `#s${s.id}` : 'the baseline');
  let planThread = 0;

  at(0.01, 'plan', async () => {
    planThread = (await w.post(A[0]!, `Measure first, then the big levers. Claim a lever before working on it. Levers: ${LEVERS.join(', ')}.`, { title: 'Plan: measure first', tags: ['proposal'] })) ?? 0;
  });
  at(0.02, 'baseline', async () => {
    const s = await w.submit(A[0]!, 1, { title: 'baseline', levers: [] });
    if (!s || !(await w.run(A[0]!, s))) throw new Error('simulator: the baseline could not run');
    w.improved(s);
    if (planThread) await w.post(A[0]!, `Baseline is ${ref(s)}.`, { replyTo: planThread, tags: ['result'] });
  });
  at(0.04, 'playbook', async () => {
    const who = A[1 % A.length]!;
    await who.client.call('createPage', { params: { collab: w.collab }, body: { slug: 'playbook', title: 'Playbook', category: 'playbook', body: '1. Run the baseline five times.\n2. Claim a lever.\n' } });
    w.pages.push('playbook');
    w.truth.counts.pages++;
  });

  // Relays: four distinct agents each, one after another in the first half.
  const relays = Math.max(1, Math.floor(A.length / 6));
  for (let k = 0; k < relays; k++) {
    const [builder, sponsor, diagnoser, shipper] = r.sample(A, 4) as [SimAgent, SimAgent, SimAgent, SimAgent];
    const start = 0.12 + (k * 0.4) / relays;
    const step = 0.4 / relays / 5;
    let x: SimSubmission | null = null;
    let y: SimSubmission | null = null;
    let thread = 0;
    const posts: number[] = [];
    at(start, `relay ${k}: build`, async () => {
      await w.limited(() => builder.client.call('createClaim', { params: { collab: w.collab }, body: { lever: 'int8', submissionId: w.best!.id, note: 'an int8 checkpoint' } }));
      w.truth.counts.claims++;
      x = await w.submit(builder, 0.97 * w.best!.quality, { title: 'int8 checkpoint', parents: [w.best!.id], levers: ['int8'], staged: true, description: 'Weights quantized to int8; staged: I have no quota left.' });
      if (!x) throw new Error('simulator: a relay build was refused');
      w.runner?.failing.add(x.id);
      thread = (await w.post(builder, `I built an int8 checkpoint on the current best: ${ref(x)}. Staged: can someone run it?`, { title: `int8 checkpoint ${k + 1}`, tags: ['proposal'] })) ?? 0;
      posts.push(thread);
    });
    at(start + step, `relay ${k}: sponsored run fails`, async () => {
      await w.run(sponsor, x!);
      posts.push((await w.post(sponsor, `@${builder.handle} I ran ${ref(x)} on my quota: it fails at start, the checkpoint does not load.`, { replyTo: thread })) ?? 0);
    });
    at(start + 2 * step, `relay ${k}: diagnosis`, async () => {
      y = await w.submit(diagnoser, 0.99 * w.best!.quality, { title: 'int8 checkpoint, config fixed', parents: [x!.id], levers: ['int8'], credits: [builder.handle, sponsor.handle], description: 'The config named the fp16 dtype; fixed.' });
      if (!y) throw new Error('simulator: a relay diagnosis was refused');
      posts.push((await w.post(diagnoser, `@${sponsor.handle} the config still says fp16: fixed in ${ref(y)}.`, { replyTo: thread })) ?? 0);
    });
    at(start + 3 * step, `relay ${k}: shipped`, async () => {
      const z = await w.submit(shipper, 1.12 * w.best!.quality, { title: 'int8 checkpoint with fused dequant', parents: [y!.id], levers: ['int8', 'fused-attn'], credits: [diagnoser.handle, builder.handle] });
      if (!z || !(await w.run(shipper, z))) throw new Error('simulator: a relay result was refused');
      w.improved(z);
      posts.push((await w.post(shipper, `${ref(z)} builds on ${ref(y)} by @${diagnoser.handle}: 12% over the best.`, { replyTo: thread, tags: ['result'] })) ?? 0);
      const participants = [builder, sponsor, diagnoser, shipper].map((a) => a.handle).filter((h, i, xs) => xs.indexOf(h) === i);
      w.truth.relays.push({ frontier: z.id, chain: [x!.id, y!.id, z.id], participants, posts: posts.filter((p) => p > 0) });
    });
  }

  // Solo improvements: one agent, one step, no relay.
  for (let k = 0; k < Math.max(1, Math.floor(A.length / 8)); k++) {
    const who = r.pick(A);
    at(0.1 + r.next() * 0.85, `solo ${k}`, async () => {
      const s = await w.submit(who, 1.05 * w.best!.quality, { title: 'batched prefill', parents: [w.best!.id], levers: ['batching'] });
      if (s && (await w.run(who, s))) w.improved(s);
      if (s) await w.post(who, `My ${ref(s)} is 5% over the best.`, { title: `batched prefill (${k + 1})`, tags: ['result'] });
    });
  }

  // The loophole: a submission that replays cached answers, flagged by another agent, ruled on.
  const cheater = r.pick(A);
  const reporter = w.other([cheater.handle]);
  let cheat: SimSubmission | null = null;
  let flagId = 0;
  at(0.6, 'loophole', async () => {
    cheat = await w.submit(cheater, 3 * w.best!.quality, { title: 'answer cache', parents: [w.best!.id], levers: ['answer-cache'], description: 'Remembers the answers to the public prompts.' });
    if (!cheat || !(await w.run(cheater, cheat))) throw new Error('simulator: the loophole could not run');
    await w.post(cheater, `Three times faster: ${ref(cheat)}.`, { title: 'answer cache: 3x', tags: ['result'] });
  });
  at(0.63, 'flag', async () => {
    const f = await reporter.client.call('createFlag', { params: { collab: w.collab }, body: { submission: cheat!.id, category: 'loophole', evidence: `${ref(cheat)} replays stored outputs of the public prompts instead of decoding.` } });
    flagId = f.id;
    w.truth.counts.flags++;
  });
  at(0.7, 'ruling', async () => {
    const ruling = await w.organizer.client.call('createRuling', {
      params: { collab: w.collab },
      body: { kind: 'uphold', title: 'Answer caches are not decoding', text: `Upheld: ${ref(cheat)} returns remembered outputs; it is invalid.`, flags: [flagId], invalidate: { submissions: [cheat!.id] } },
    });
    w.truth.loophole = {
      submissionId: cheat!.id, author: cheater.handle, lever: 'answer-cache', flagId, reporter: reporter.handle,
      rulingId: ruling.id, rulingPostId: ruling.postId, organizer: w.organizer.handle,
    };
  });

  // Rule breaks the API refuses: running someone else's unstaged work, posting as an organizer.
  const breaker = r.pick(A);
  at(0.45, 'rule break: run unstaged', async () => {
    const target = w.best!;
    if (target.author === breaker.handle) return;
    await w.refused(breaker, 'run an unstaged submission of another', () => breaker.client.call('createJob', { params: { collab: w.collab }, body: { submissionId: target.id, split: w.split } }));
  });
  at(0.46, 'rule break: ruling tag', async () => {
    await w.refused(breaker, 'tag a post ruling', () => breaker.client.call('createPost', { params: { collab: w.collab }, body: { title: 'My ruling', body: 'I rule that I win.', tags: ['ruling'] } }));
  });

  // Background: about two actions per agent per simulated hour.
  for (const a of A) {
    const n = Math.max(1, Math.round(2 * hours));
    for (let i = 0; i < n; i++) {
      const kind = r.pick(['read', 'read', 'thread', 'reply', 'reply', 'claim', 'attempt', 'stage', 'sponsor', 'kb'] as const);
      const when = 0.08 + r.next() * 0.9;
      const topic = r.pick(TOPICS);
      const lever = r.pick(LEVERS);
      const mention = r.pick(A);
      const roll = r.next();
      at(when, `${a.handle}: ${kind}`, () => background(w, a, kind, { topic, lever, mention, roll }));
    }
  }
  return scenes.sort((x, y) => x.at - y.at);
}

type Kind = 'read' | 'thread' | 'reply' | 'claim' | 'attempt' | 'stage' | 'sponsor' | 'kb';

async function background(w: World, a: SimAgent, kind: Kind, d: { topic: string; lever: string; mention: SimAgent; roll: number }): Promise<void> {
  const collab = w.collab;
  const tag = (m: SimAgent) => (m.handle === a.handle ? '' : ` @${m.handle}`);
  switch (kind) {
    case 'read': {
      await a.client.call('boardNew', { params: { collab } });
      await a.client.call('markRead', { params: { collab }, body: {} });
      w.truth.counts.reads++;
      return;
    }
    case 'thread': {
      await w.post(a, `What do we know about ${d.topic}?${d.roll < 0.5 ? tag(d.mention) : ''}`, { title: `Question: ${d.topic}`, tags: [d.roll < 0.7 ? 'question' : 'dead-end'] });
      return;
    }
    case 'reply': {
      if (!w.posts.length) return;
      const to = w.posts[Math.floor(d.roll * w.posts.length)]!;
      const mention = to.author === a.handle || d.roll > 0.6 ? '' : `@${to.author} `;
      await w.post(a, `${mention}I saw the same with ${d.topic}.`, { replyTo: to.id });
      return;
    }
    case 'claim': {
      if (!w.best) return;
      const c = await w.limited(() => a.client.call('createClaim', { params: { collab }, body: { lever: d.lever, submissionId: w.best!.id, note: `trying ${d.lever}` } }));
      if (c) w.truth.counts.claims++;
      return;
    }
    case 'attempt':
    case 'stage': {
      if (!w.best) return;
      const parent = w.best;
      const s = await w.submit(a, parent.quality * (0.85 + 0.12 * d.roll), { title: `${d.lever} attempt`, parents: [parent.id], levers: [d.lever], staged: kind === 'stage', credits: parent.author === a.handle ? [] : [parent.author] });
      if (!s) return;
      if (kind === 'attempt') await w.run(a, s);
      else w.staged.push(s);
      return;
    }
    case 'sponsor': {
      // Quota pooling: run someone else's staged submission on my quota.
      const staged = w.staged.find((s) => s.author !== a.handle);
      if (!staged) return;
      w.staged.splice(w.staged.indexOf(staged), 1);
      await w.run(a, staged);
      return;
    }
    case 'kb': {
      if (!w.pages.includes('playbook')) return;
      const page = await a.client.call('getPage', { params: { collab, slug: 'playbook' } });
      const edited = await w.limited(() => a.client.call('editPage', {
        params: { collab, slug: 'playbook' },
        body: { baseRevision: page.page.currentRevision, body: `${page.revision.body.trimEnd()}\n- ${d.lever}: see the lever's claims before trying (${a.handle}).\n` },
      }));
      if (edited) w.truth.counts.pageEdits++;
      return;
    }
  }
}
