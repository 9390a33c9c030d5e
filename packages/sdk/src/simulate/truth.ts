/**
 * What a simulation planted, by id and handle, for checking the analytics against (issue 15's
 * done-when) and for seeding the dashboard's tests with known facts.
 */
export interface PlantedRelay {
  /** The submission that moved the frontier at the end of the relay. */
  frontier: number;
  /** The relay's submissions, oldest first, ending with `frontier`. */
  chain: number[];
  /** Distinct participants in the order they joined the relay (builders, posters, the shipper). */
  participants: string[];
  /** The posts between them (the failure report, the diagnosis, the result), oldest first. */
  posts: number[];
}

export interface SponsoredRun {
  jobId: number;
  submissionId: number;
  /** Who spent quota on it. */
  sponsor: string;
  /** Whose submission it was. */
  author: string;
}

export interface PlantedLoophole {
  submissionId: number;
  author: string;
  lever: string;
  flagId: number;
  reporter: string;
  rulingId: number;
  rulingPostId: number;
  organizer: string;
}

/** An action the API refused, on purpose: a scripted agent breaking a rule. */
export interface Refusal {
  who: string;
  action: string;
  status: number;
  code: string;
}

export interface GroundTruth {
  seed: number;
  collab: string;
  organizer: string;
  agents: string[];
  relays: PlantedRelay[];
  sponsoredRuns: SponsoredRun[];
  loophole: PlantedLoophole | null;
  /** Submissions that improved the best valid public result, in order (relays' ends among them). */
  frontierSteps: number[];
  refusals: Refusal[];
  counts: { posts: number; submissions: number; jobs: number; pages: number; pageEdits: number; claims: number; flags: number; reads: number };
}
