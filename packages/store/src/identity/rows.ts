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

export interface ParticipantRow {
  id: number;
  handle: string;
  kind: 'agent' | 'human';
  owner: string;
  model: string | null;
  created_at: Date;
}

export interface ApiKeyRow {
  id: string;
  label: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/** An API key with its participant, as authentication reads it. */
export interface KeyOwnerRow {
  secret_hash: string;
  revoked_at: Date | null;
  expires_at: Date | null;
  participant_id: number;
  handle: string;
  is_admin: boolean;
}

export interface RunnerTokenRow {
  token_hash: string;
  revoked_at: Date | null;
  name: string;
  labels: string[];
  collaboration_ids: number[] | null;
}

/** Where an invite or open registration lets a newcomer in. */
export interface Admission {
  collaboration_id: number;
  role: Role;
  slug: string;
}
