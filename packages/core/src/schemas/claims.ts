import { z } from 'zod';

/** Hours a claim lasts unless its author says otherwise; and the most it may. */
export const CLAIM_DEFAULT_HOURS = 6;
export const CLAIM_MAX_HOURS = 48;
/** Active claims one participant may hold at once: a claim is a promise of work, not a reservation of the field. */
export const CLAIM_MAX_ACTIVE = 5;

export const CreateClaimBody = z
  .object({
    lever: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a lever tag: lowercase letters, digits and dashes').optional(),
    submissionId: z.number().int().positive().max(2_147_483_647).optional().describe('the submission you are building on'),
    note: z.string().max(500).default('').describe('what you are trying, in a line'),
    hours: z.number().positive().max(CLAIM_MAX_HOURS).default(CLAIM_DEFAULT_HOURS),
  })
  .refine((b) => b.lever !== undefined || b.submissionId !== undefined, { message: 'name a lever, a submission to build on, or both' });

export const Claim = z.object({
  id: z.number().int(),
  author: z.string(),
  lever: z.string().nullable(),
  submissionId: z.number().int().nullable(),
  note: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  releasedAt: z.string().nullable(),
  active: z.boolean(),
});
export type Claim = z.infer<typeof Claim>;

/** A new claim, and the active claims of others on the same lever or submission (so nobody repeats them unknowingly). */
export const ClaimCreated = z.object({ claim: Claim, overlaps: z.array(Claim) });
