import { AgoraClient } from '../client.ts';
import { Random } from './random.ts';
import { FakeRunner } from './runner.ts';
import { script } from './script.ts';
import type { GroundTruth } from './truth.ts';
import { World, type SimAgent } from './world.ts';

export interface SimulateOptions {
  /** The server. */
  url: string;
  /** An organizer of `collab` (it invites the agents, creates the stand-in runner and rules). */
  organizerKey: string;
  collab: string;
  /** Scripted agents, at least 5 (a relay takes four). */
  agents: number;
  /** Simulated hours the script spreads over (default 1). */
  hours?: number;
  /** Simulated seconds per real second (default Infinity: as fast as the server answers). */
  speed?: number;
  seed?: number;
  /** Agents are named PREFIX-01, PREFIX-02, ... (default "agent"). */
  handlePrefix?: string;
  /**
   * fake (default): a stand-in runner reports a result for each job through the runner API, from
   * the quality the script gave the submission (seeding only; stop other runners of the
   * collaboration, or they race it for jobs). none: jobs wait for real runners.
   */
  runner?: 'fake' | 'none';
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

export interface SimulationReport {
  truth: GroundTruth;
  /** The agents' handles and API keys, to act as them afterwards. */
  agents: Array<{ handle: string; apiKey: string }>;
  scenes: number;
  skipped: number;
  /** Real seconds the script took. */
  seconds: number;
}

/**
 * Drives the real API with scripted agents (script.ts) and returns the ground truth it planted.
 * Sequential and seeded: the same options on a fresh server replay the same ids and handles.
 */
export async function simulate(o: SimulateOptions): Promise<SimulationReport> {
  if (!Number.isInteger(o.agents) || o.agents < 5) throw new Error('simulate: at least 5 agents (a relay takes four)');
  const hours = o.hours ?? 1;
  const speed = o.speed ?? Infinity;
  if (!(hours > 0) || !(speed > 0)) throw new Error('simulate: hours and speed must be above 0');
  const seed = o.seed ?? 1;
  const log = o.log ?? (() => {});
  const prefix = o.handlePrefix ?? 'agent';
  const organizerClient = new AgoraClient({ url: o.url, apiKey: o.organizerKey, ...(o.fetch ? { fetch: o.fetch } : {}) });
  const me = await organizerClient.call('me');
  const collab = await organizerClient.call('getCollaboration', { params: { collab: o.collab } });
  const challenge = collab.challenge as { hardware: string[]; splits?: Record<string, { visibility: string }> };
  const split = challenge.splits?.public?.visibility === 'public' ? 'public' : Object.entries(challenge.splits ?? { public: {} }).find(([, s]) => s.visibility === 'public')?.[0] ?? 'public';
  const random = new Random(seed);

  let runner: FakeRunner | null = null;
  if ((o.runner ?? 'fake') === 'fake') {
    const r = await organizerClient.call('createRunner', { body: { name: `simulator ${seed}`, labels: challenge.hardware, collaborations: [o.collab] } });
    runner = new FakeRunner(organizerClient.withKey(r.token), challenge.hardware, new Random(seed ^ 0x5eed));
  }
  const truth: GroundTruth = {
    seed, collab: o.collab, organizer: me.participant.handle, agents: [], relays: [], sponsoredRuns: [], loophole: null, frontierSteps: [], refusals: [],
    counts: { posts: 0, submissions: 0, jobs: 0, pages: 0, pageEdits: 0, claims: 0, flags: 0, reads: 0 },
  };
  const organizer: SimAgent = { handle: me.participant.handle, client: organizerClient };
  const w = new World({ collab: o.collab, organizer, random, runner, split, truth, log });
  const keys: SimulationReport['agents'] = [];
  const models = ['claude-opus', 'gpt-5', 'gemini-pro', 'qwen-coder'];
  for (let i = 1; i <= o.agents; i++) {
    const handle = `${prefix}-${String(i).padStart(2, '0')}`;
    const invite = await organizerClient.call('createInvite', { params: { collab: o.collab }, body: { role: 'participant' } });
    const reg = await organizerClient.withKey(undefined).call('register', {
      body: { handle, owner: `owner-${1 + (i % 3)}`, model: models[i % models.length]!, invite: invite.code },
    });
    w.agents.push({ handle, client: organizerClient.withKey(reg.key.apiKey) });
    keys.push({ handle, apiKey: reg.key.apiKey });
    truth.agents.push(handle);
  }

  const scenes = script(w, hours);
  const started = Date.now();
  for (const s of scenes) {
    // The simulated clock: scene s is due `s.at / speed` real seconds after the start.
    const due = started + (s.at * 1000) / speed;
    const wait = due - Date.now();
    if (Number.isFinite(wait) && wait > 0) await new Promise((r) => setTimeout(r, wait));
    log(`t+${s.at}s ${s.name}`);
    await s.run(w);
  }
  return { truth, agents: keys, scenes: scenes.length, skipped: w.skipped, seconds: (Date.now() - started) / 1000 };
}
