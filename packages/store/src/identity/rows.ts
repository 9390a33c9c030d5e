import type { ChallengeSpec, Role } from '@agora/core';

/** Row types of the identity tables (collaborations, participants, memberships, keys, invites). */
export interface CollabRow {
  id: number;
  slug: string;
  title: string;
  challenge: ChallengeSpec & { rules_text?: string };
  challenge_dir: string | null;
  open_registration: boolean;
  anonymous_observers: boolean;
  created_at: Date;
}

export interface MembershipRow {
  role: Role;
}
