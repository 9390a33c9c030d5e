import type { EventType } from '../schemas/event.ts';

/**
 * The audit log is every event whose actor is an organizer of the collaboration now, plus every
 * event of these types whoever caused it: only organizers can cause them, so an organizer who has
 * since been demoted keeps their actions in the log.
 */
export const ORGANIZER_EVENT_TYPES: readonly EventType[] = [
  'collaboration.updated', 'invite.created', 'member.role_changed', 'post.hidden', 'quota.granted', 'runner.created', 'runner.revoked',
  'ruling.made', 'submission.invalidated', 'submission.reinstated', 'standings.published', 'verification.overridden',
];
