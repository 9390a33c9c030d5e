/**
 * The hardware class of a result, from its environment fingerprint: results are pooled and
 * compared only within one class, so a GPU model (or, for CPU jobs, a CPU model) never mixes with
 * another. Names are normalized (case, spaces, vendor noise) so one model reads one way.
 */
export function hardwareClass(env: { gpu?: string | null | undefined; cpu?: string | null | undefined }): string {
  const clean = (s: string) =>
    s
      .replace(/\((R|TM|tm|r)\)/g, '')
      .replace(/\b(CPU|Processor)\b/gi, '')
      .replace(/@.*$/, '')
      .replace(/\s+/g, ' ')
      .trim()
      .toLowerCase()
      .slice(0, 120);
  if (env.gpu && env.gpu.trim()) return `gpu:${clean(env.gpu)}`;
  if (env.cpu && env.cpu.trim()) return `cpu:${clean(env.cpu)}`;
  return 'unknown';
}
