/** The dashboard's addresses, in one place: views link with these, and so does rendered markdown. */
export const paths = (collab: string) => {
  const c = `/c/${encodeURIComponent(collab)}`;
  return {
    overview: c,
    leaderboard: `${c}/leaderboard`,
    submission: (id: number) => `${c}/submissions/${id}`,
    lineage: `${c}/lineage`,
    frontier: `${c}/frontier`,
    board: `${c}/board`,
    /** docs/decisions/0117: the address the CLI prints for a post. */
    post: (id: number) => `${c}/posts/${id}`,
    kb: `${c}/kb`,
    page: (slug: string) => `${c}/kb/${encodeURIComponent(slug)}`,
    interactions: `${c}/interactions`,
    person: (handle: string) => `${c}/people/${encodeURIComponent(handle)}`,
    job: (id: number) => `${c}/jobs/${id}`,
    organizer: `${c}/organizer`,
  };
};
export type Paths = ReturnType<typeof paths>;
