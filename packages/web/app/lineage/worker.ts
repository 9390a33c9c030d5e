/// <reference lib="webworker" />
import { layeredLayout, type LayoutInput } from './layout.ts';

/** Lays the lineage out off the main thread: the page stays responsive while 5,000 nodes are placed. */
self.onmessage = (e: MessageEvent<LayoutInput & { seq: number }>) => {
  const t0 = performance.now();
  const out = layeredLayout(e.data);
  (self as unknown as Worker).postMessage({ seq: e.data.seq, xy: out.xy, layers: out.layers, width: out.width, ms: performance.now() - t0 }, [out.xy.buffer]);
};
