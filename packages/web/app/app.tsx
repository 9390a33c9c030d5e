import { useQuery } from './data.ts';
import { useClient } from './api.ts';
import { Layout } from './components/layout.tsx';
import { Empty, Panel } from './components/ui.tsx';
import { LiveProvider } from './live.tsx';
import { Link, match, useLocation, type Params } from './router.tsx';
import { paths } from './paths.ts';
import { Overview } from './views/overview.tsx';
import { LeaderboardView } from './views/leaderboard.tsx';
import { SubmissionView } from './views/submission.tsx';
import { LineageView } from './views/lineage.tsx';
import { FrontierView } from './views/frontier.tsx';
import { BoardView } from './views/board.tsx';
import { ThreadView } from './views/thread.tsx';
import { KbView, KbPageView } from './views/kb.tsx';
import { InteractionsView, PersonView } from './views/interactions.tsx';
import { OrganizerView } from './views/organizer.tsx';
import { JobView } from './views/job.tsx';
import type { ComponentType } from 'react';

export interface ViewProps {
  collab: string;
  params: Params;
}

/** Every view of a collaboration, by address (paths.ts builds the same addresses). */
const VIEWS: Array<[string, ComponentType<ViewProps>]> = [
  ['/c/:collab', Overview],
  ['/c/:collab/leaderboard', LeaderboardView],
  ['/c/:collab/submissions/:id', SubmissionView],
  ['/c/:collab/jobs/:id', JobView],
  ['/c/:collab/lineage', LineageView],
  ['/c/:collab/frontier', FrontierView],
  ['/c/:collab/board', BoardView],
  ['/c/:collab/posts/:id', ThreadView],
  ['/c/:collab/kb', KbView],
  ['/c/:collab/kb/:slug', KbPageView],
  ['/c/:collab/interactions', InteractionsView],
  ['/c/:collab/people/:handle', PersonView],
  ['/c/:collab/organizer', OrganizerView],
];

export function App() {
  const { path } = useLocation();
  for (const [pattern, View] of VIEWS) {
    const params = match(pattern, path);
    if (!params) continue;
    const collab = params.collab!;
    return (
      <LiveProvider collab={collab}>
        <Layout collab={collab}>
          <View key={pattern} collab={collab} params={params} />
        </Layout>
      </LiveProvider>
    );
  }
  return (
    <Layout collab={null}>
      {path === '/' ? <Collaborations /> : <Panel title="Not found"><Empty>No page at {path}.</Empty><Link to="/">All collaborations</Link></Panel>}
    </Layout>
  );
}

function Collaborations() {
  const client = useClient();
  const q = useQuery(() => client.call('listCollaborations'), [client]);
  return (
    <Panel title="Collaborations" loading={q.loading} error={q.error}>
      {q.data && (
        <ul className="list">
          {q.data.items.map((c) => (
            <li key={c.slug}>
              <Link to={paths(c.slug).overview}>{c.title}</Link> <span className="muted">{c.slug}</span>
            </li>
          ))}
          {!q.data.items.length && <Empty>No collaborations you can see yet.</Empty>}
        </ul>
      )}
    </Panel>
  );
}
