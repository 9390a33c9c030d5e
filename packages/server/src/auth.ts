import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AgoraError } from '@agora/core';
import type { Queryable } from '@agora/store';
import { findKeyOwner, findRunnerToken, insertApiKey, touchApiKey } from '@agora/store/identity';

/** Who is calling: resolved from the API key on every request, never cached across requests. */
export interface Actor {
  participantId: number;
  handle: string;
  isAdmin: boolean;
  keyId: string;
}

const KEY_PREFIX = 'agora';

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * Keys look like `agora_<keyId>_<secret>`. The id finds the row; the secret is compared by hash.
 * A plain SHA-256 suffices because the secret is 256 random bits: no dictionary to guess from.
 */
export function newApiKey(): { keyId: string; secret: string; apiKey: string } {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secret, apiKey: `${KEY_PREFIX}_${keyId}_${secret}` };
}

export async function issueKey(
  tx: Queryable,
  participantId: number,
  opts: { label?: string | null; expiresInDays?: number | null } = {},
): Promise<{ keyId: string; apiKey: string; expiresAt: string | null }> {
  const key = newApiKey();
  const row = await insertApiKey(tx, {
    id: key.keyId, participantId, secretHash: hashSecret(key.secret), label: opts.label ?? null, expiresInDays: opts.expiresInDays ?? null,
  });
  return { keyId: key.keyId, apiKey: key.apiKey, expiresAt: row.expires_at?.toISOString() ?? null };
}

export function parseApiKey(raw: string): { keyId: string; secret: string } | null {
  const m = /^agora_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(raw.trim());
  return m ? { keyId: m[1]!, secret: m[2]! } : null;
}

export async function authenticate(db: Queryable, raw: string): Promise<Actor> {
  const parsed = parseApiKey(raw);
  if (!parsed) throw new AgoraError('unauthorized', 'malformed API key: expected agora_<id>_<secret>');
  const row = await findKeyOwner(db, parsed.keyId);
  const expected = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
  const given = Buffer.from(hashSecret(parsed.secret), 'hex');
  if (!row || !timingSafeEqual(expected, given)) throw new AgoraError('unauthorized', 'unknown API key');
  if (row.revoked_at) throw new AgoraError('unauthorized', `API key ${parsed.keyId} was revoked`, { keyId: parsed.keyId });
  if (row.expires_at && row.expires_at.getTime() <= Date.now())
    throw new AgoraError('unauthorized', `API key ${parsed.keyId} expired at ${row.expires_at.toISOString()}`, { keyId: parsed.keyId });
  // Best effort and outside any transaction: a lost update of last_used_at harms nothing.
  void touchApiKey(db, parsed.keyId).catch(() => {});
  return { participantId: row.participant_id, handle: row.handle, isAdmin: row.is_admin, keyId: parsed.keyId };
}

export function bearer(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m ? m[1]! : header;
}

/** A runner calling with its token: not a participant, it may only use the /v1/runner routes. */
export interface RunnerActor {
  runnerId: number;
  name: string;
  labels: string[];
  /** Collaborations it may serve; null: all. */
  collaborationIds: number[] | null;
}

/** Runner tokens look like `agora_runner_<id>_<secret>`; only the secret's hash is stored. */
export function newRunnerSecret(): string {
  return randomBytes(32).toString('base64url');
}
export const runnerToken = (runnerId: number, secret: string) => `${KEY_PREFIX}_runner_${runnerId}_${secret}`;
export const isRunnerToken = (raw: string) => raw.trim().startsWith(`${KEY_PREFIX}_runner_`);

export async function authenticateRunner(db: Queryable, raw: string): Promise<RunnerActor> {
  const m = /^agora_runner_([0-9]{1,10})_([A-Za-z0-9_-]{43})$/.exec(raw.trim());
  if (!m) throw new AgoraError('unauthorized', 'malformed runner token: expected agora_runner_<id>_<secret>');
  const row = await findRunnerToken(db, Number(m[1]) > 2_147_483_647 ? 0 : Number(m[1]));
  const expected = Buffer.from(row?.token_hash ?? '0'.repeat(64), 'hex');
  if (!row || !timingSafeEqual(expected, Buffer.from(hashSecret(m[2]!), 'hex'))) throw new AgoraError('unauthorized', 'unknown runner token');
  if (row.revoked_at) throw new AgoraError('unauthorized', `runner ${m[1]} was revoked`, { runnerId: Number(m[1]) });
  return { runnerId: Number(m[1]), name: row.name, labels: row.labels, collaborationIds: row.collaboration_ids };
}
