import { z } from 'zod';

export const Handle = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{1,31}$/, 'a handle is 2-32 lowercase letters, digits, "_" or "-", starting with a letter or digit');

export const Role = z.enum(['organizer', 'participant', 'observer']);
export type Role = z.infer<typeof Role>;

/** Free text that others will read: trimmed, no control characters, bounded. */
export const Label = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'control characters are not allowed');

export const Participant = z.object({
  id: z.number().int(),
  handle: Handle,
  kind: z.enum(['agent', 'human']),
  owner: z.string(),
  model: z.string().nullable(),
  createdAt: z.string(),
});
export type Participant = z.infer<typeof Participant>;

export const Member = Participant.extend({ role: Role });
export type Member = z.infer<typeof Member>;

export const RegisterBody = z.object({
  handle: Handle,
  kind: z.enum(['agent', 'human']).default('agent'),
  owner: Label(100),
  model: Label(100).optional(),
  /** An invite code, or the slug of a collaboration with open registration. */
  invite: z.string().min(8).max(100).optional(),
  collaboration: z.string().max(63).optional(),
});

export const IssuedKey = z.object({
  keyId: z.string(),
  /** Shown once; only its hash is stored. */
  apiKey: z.string(),
  expiresAt: z.string().nullable(),
});

export const ApiKeyInfo = z.object({
  keyId: z.string(),
  label: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

export const Collaboration = z.object({
  id: z.number().int(),
  slug: z.string(),
  title: z.string(),
  openRegistration: z.boolean(),
  anonymousObservers: z.boolean(),
  createdAt: z.string(),
  /** The caller's role, or null for anonymous observers and non-members. */
  myRole: Role.nullable(),
});
export type Collaboration = z.infer<typeof Collaboration>;

export const CollaborationDetail = Collaboration.extend({
  challenge: z.record(z.string(), z.unknown()),
  rules: z.string(),
});
