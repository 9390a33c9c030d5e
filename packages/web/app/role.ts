import { useClient } from './api.ts';
import { useQuery } from './data.ts';

/** The signed-in caller's role in the collaboration (null: anonymous or not a member). */
export function useRole(collab: string): 'organizer' | 'participant' | 'observer' | null {
  const client = useClient();
  const q = useQuery(() => client.call('getCollaboration', { params: { collab } }), [client, collab]);
  return q.data?.myRole ?? null;
}
