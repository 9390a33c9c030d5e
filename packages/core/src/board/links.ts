/** API addresses that board references render to; shared by the renderer and the structured refs. */
export function boardLinks(collab: string) {
  const base = `/v1/collaborations/${encodeURIComponent(collab)}`;
  return {
    submission: (id: number) => `${base}/submissions/${id}`,
    post: (id: number) => `${base}/posts/${id}`,
    page: (slug: string) => `${base}/pages/${encodeURIComponent(slug)}`,
  };
}
export type BoardLinks = ReturnType<typeof boardLinks>;
