import { z } from 'zod';

export const AgoraEvent = z.object({
  id: z.number().int(),
  type: z.string(),
  actor: z.string().nullable(),
  subject: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type AgoraEvent = z.infer<typeof AgoraEvent>;
