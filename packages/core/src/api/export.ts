import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import { CollaborationExport } from '../export/format.ts';
import { route } from './route.ts';

const Bool = z.enum(['true', 'false']).transform((s) => s === 'true').default(false);

export const exportRoutes = {
  exportCollaboration: route({
    method: 'get', path: '/v1/collaborations/{collab}/export', tag: 'analytics', auth: 'optional',
    summary: 'The whole public record as tables (docs/export.md, versioned): participants, memberships, posts with revisions and links, pages with revisions, submission metadata and lineage, credits, claims, rulings, public jobs and results, events. private=true (organizers only) adds flags, private-split jobs and results and hidden posts\' text, marked private; pseudonymise=true replaces handles and owners consistently.',
    params: z.object({ collab: Slug }),
    query: z.object({ private: Bool, pseudonymise: Bool }),
    response: CollaborationExport,
  }),
};
