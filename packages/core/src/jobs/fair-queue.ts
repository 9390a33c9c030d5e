/**
 * The fair-queue rule: never one shared first-in-first-out line. Each queued job gets a turn
 * number within its collaboration and within its owner (the participant who asked for it),
 * counting jobs already running; the queue serves lower turns first, so every collaboration gets
 * a job started before any gets its second, and within a collaboration every participant gets a
 * job before anyone's next. Ties fall back to age. One participant's ten jobs, or one busy
 * collaboration, cannot starve anyone else.
 */
export interface QueuedJob {
  id: number;
  collaborationId: number;
  ownerId: number;
  queuedAt: Date;
}

export interface Running {
  byOwner: ReadonlyMap<number, number>;
  byCollaboration: ReadonlyMap<number, number>;
}

const key = (c: number, o: number) => `${c}:${o}`;

export function fairOrder<J extends QueuedJob>(jobs: readonly J[], running: Running = { byOwner: new Map(), byCollaboration: new Map() }): J[] {
  const byAge = [...jobs].sort((a, b) => a.queuedAt.getTime() - b.queuedAt.getTime() || a.id - b.id);
  // Owner turn: position among the owner's queued jobs in this collaboration, after those running.
  const ownerSeen = new Map<string, number>();
  const ownerTurn = new Map<number, number>();
  for (const j of byAge) {
    const k = key(j.collaborationId, j.ownerId);
    const n = ownerSeen.get(k) ?? running.byOwner.get(j.ownerId) ?? 0;
    ownerTurn.set(j.id, n);
    ownerSeen.set(k, n + 1);
  }
  // Collaboration turn: position within the collaboration when ordered by owner turn, then age.
  const withinCollab = [...byAge].sort((a, b) => ownerTurn.get(a.id)! - ownerTurn.get(b.id)! || a.queuedAt.getTime() - b.queuedAt.getTime() || a.id - b.id);
  const collabSeen = new Map<number, number>();
  const collabTurn = new Map<number, number>();
  for (const j of withinCollab) {
    const n = collabSeen.get(j.collaborationId) ?? running.byCollaboration.get(j.collaborationId) ?? 0;
    collabTurn.set(j.id, n);
    collabSeen.set(j.collaborationId, n + 1);
  }
  return [...byAge].sort(
    (a, b) =>
      collabTurn.get(a.id)! - collabTurn.get(b.id)! ||
      ownerTurn.get(a.id)! - ownerTurn.get(b.id)! ||
      a.queuedAt.getTime() - b.queuedAt.getTime() ||
      a.id - b.id,
  );
}

/**
 * The order a runner takes jobs in: smoke runs first (a few seconds each, a few a day per
 * participant, so they cannot starve scored jobs; an agent waits on one before it spends a job:
 * decision 0180), then scored jobs; each group in fair order.
 */
export function claimOrder<J extends QueuedJob & { smoke?: boolean }>(jobs: readonly J[], running?: Running): J[] {
  const fair = fairOrder(jobs, running);
  return [...fair.filter((j) => j.smoke), ...fair.filter((j) => !j.smoke)];
}

/** The fair queue's second input: how many jobs each owner and each collaboration has running. */
export function runningLoad(running: ReadonlyArray<{ ownerId: number; collaborationId: number }>): Running {
  const byOwner = new Map<number, number>();
  const byCollaboration = new Map<number, number>();
  for (const r of running) {
    byOwner.set(r.ownerId, (byOwner.get(r.ownerId) ?? 0) + 1);
    byCollaboration.set(r.collaborationId, (byCollaboration.get(r.collaborationId) ?? 0) + 1);
  }
  return { byOwner, byCollaboration };
}
