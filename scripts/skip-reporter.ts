// A node:test reporter that writes one JSON line per skipped test or suite ({ file, name, kind,
// reason }). scripts/test.ts adds it beside the spec reporter: Node's own summary leaves a
// skipped suite's tests out of every count, so without this they would vanish silently.
export default async function* skipReporter(source: AsyncIterable<{ type: string; data: Record<string, unknown> }>) {
  for await (const e of source) {
    if (e.type !== 'test:pass' && e.type !== 'test:fail') continue;
    const skip = e.data.skip;
    if (skip === undefined || skip === false) continue;
    const details = e.data.details as { type?: string } | undefined;
    yield `${JSON.stringify({ file: e.data.file ?? null, name: e.data.name, kind: details?.type === 'suite' ? 'suite' : 'test', reason: typeof skip === 'string' ? skip : '' })}\n`;
  }
}
