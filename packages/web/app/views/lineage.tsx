import type { LineageNode } from '@agora/core';
import { DirectedGraph } from 'graphology';
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import Sigma from 'sigma';
import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { useQuery } from '../data.ts';
import { num } from '../format.ts';
import { useLiveTick } from '../live.tsx';
import { paths } from '../paths.ts';
import { Link, navigate, setQuery, useLocation } from '../router.tsx';
import { themeColor } from '../components/plot.tsx';
import { Badge, Empty, Panel } from '../components/ui.tsx';

/**
 * The whole lineage DAG on a WebGL canvas (sigma.js over graphology): laid out in layers by a
 * worker (lineage/layout.ts), coloured by score, the Pareto frontier highlighted, invalid and
 * withdrawn nodes grey. Zoom and pan with the wheel, drag, pinch or the buttons; find a
 * submission by #s id, title or author; click a node for its summary, double-click to open it.
 */
export function LineageView({ collab }: ViewProps) {
  const client = useClient();
  const { search } = useLocation();
  const focus = search.get('focus');
  const tick = useLiveTick(['submission.', 'ruling.', 'job.succeeded', 'job.guardrail_failed'], 2000);
  const lineage = useQuery(() => client.call('lineage', { params: { collab }, query: {} }), [client, collab, tick]);
  const frontier = useQuery(() => client.call('frontier', { params: { collab }, query: {} }), [client, collab, tick]);
  const onFront = useMemo(() => new Set(frontier.data?.fronts.flatMap((f) => f.points.filter((p) => p.onFrontier).map((p) => p.submissionId)) ?? []), [frontier.data]);
  const [selected, setSelected] = useState<number | null>(focus ? Number(focus) : null);
  const nodes = lineage.data?.nodes;
  const node = nodes?.find((n) => n.id === selected) ?? null;
  return (
    <Panel title="Lineage" loading={lineage.loading && !nodes} error={lineage.error}>
      <Finder nodes={nodes ?? []} onFind={(id) => setSelected(id)} />
      <div className="legend" aria-hidden="true">
        <span>
          <span className="swatch swatch-low" />
          lower score
        </span>
        <span>
          <span className="swatch swatch-high" />
          higher score
        </span>
        <span>
          <span className="swatch swatch-front" />
          on the Pareto frontier
        </span>
        <span>
          <span className="swatch swatch-invalid" />
          invalid, withdrawn or unscored
        </span>
      </div>
      {nodes && nodes.length === 0 && <Empty>No submissions yet.</Empty>}
      {nodes && nodes.length > 0 && <GraphCanvas collab={collab} nodes={nodes} direction={lineage.data!.metric.direction} onFront={onFront} selected={selected} onSelect={setSelected} />}
      {node && <Selected collab={collab} node={node} front={onFront.has(node.id)} />}
    </Panel>
  );
}

function Finder({ nodes, onFind }: { nodes: LineageNode[]; onFind: (id: number) => void }) {
  const [q, setQ] = useState('');
  const [miss, setMiss] = useState(false);
  const find = (e: FormEvent) => {
    e.preventDefault();
    const s = q.trim().toLowerCase().replace(/^#s/, '');
    const hit = nodes.find((n) => String(n.id) === s) ?? nodes.find((n) => n.title.toLowerCase().includes(s)) ?? nodes.find((n) => n.author === s);
    setMiss(!hit);
    if (hit) onFind(hit.id);
  };
  return (
    <form className="filters" role="search" onSubmit={find}>
      <label>
        Find a submission
        <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="#s12, title or author" list="lineage-titles" />
      </label>
      <button type="submit">Find</button>
      {miss && <span className="muted">no match</span>}
    </form>
  );
}

/** Score colour: position of the node's best score among all scored nodes, blue (low) to red (high). */
function colourer(nodes: LineageNode[], direction: 'maximize' | 'minimize') {
  const best = (n: LineageNode) => {
    const xs = n.scores.map((s) => s.mean);
    if (!xs.length) return null;
    return direction === 'maximize' ? Math.max(...xs) : Math.min(...xs);
  };
  const scored = nodes.map(best).filter((x): x is number => x !== null).sort((a, b) => a - b);
  const grey = themeColor('--grey');
  return (n: LineageNode) => {
    if (n.standing.state !== 'valid') return grey;
    const b = best(n);
    if (b === null || !scored.length) return grey;
    let lo = 0;
    let hi = scored.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (scored[mid]! < b) lo = mid + 1;
      else hi = mid;
    }
    const t = scored.length > 1 ? lo / (scored.length - 1) : 1;
    const f = direction === 'maximize' ? t : 1 - t;
    // Blue (33, 102, 172) to red (178, 24, 43).
    const c = (a: number, z: number) => Math.round(a + (z - a) * f);
    return `rgb(${c(33, 178)}, ${c(102, 24)}, ${c(172, 43)})`;
  };
}

function GraphCanvas({ collab, nodes, direction, onFront, selected, onSelect }: { collab: string; nodes: LineageNode[]; direction: 'maximize' | 'minimize'; onFront: Set<number>; selected: number | null; onSelect: (id: number | null) => void }) {
  const box = useRef<HTMLDivElement>(null);
  const sigma = useRef<Sigma | null>(null);
  const [status, setStatus] = useState<{ text: string; layoutMs?: number; renderMs?: number }>({ text: 'laying out…' });
  const select = useRef(onSelect);
  select.current = onSelect;
  const p = paths(collab);

  useEffect(() => {
    let alive = true;
    const worker = new Worker(new URL('../lineage/worker.ts', import.meta.url), { type: 'module' });
    const ids = nodes.map((n) => n.id);
    const t0 = performance.now();
    worker.onmessage = (e: MessageEvent<{ xy: Float64Array; ms: number; layers: number; width: number }>) => {
      worker.terminate();
      if (!alive) return;
      const layoutMs = performance.now() - t0;
      const t1 = performance.now();
      const colour = colourer(nodes, direction);
      const front = themeColor('--front');
      const graph = new DirectedGraph();
      // Layers go down the screen; a wide layer is squeezed so the tree keeps a readable shape.
      const sx = e.data.width > e.data.layers * 2 ? (e.data.layers * 2) / e.data.width : 1;
      nodes.forEach((n, i) => {
        const isFront = onFront.has(n.id);
        graph.addNode(String(n.id), {
          x: e.data.xy[2 * i]! * sx,
          y: -e.data.xy[2 * i + 1]!,
          size: isFront ? 7 : 4,
          color: isFront ? front : colour(n),
          label: `${n.ref} ${n.title}`,
          forceLabel: isFront,
          zIndex: isFront ? 2 : n.standing.state === 'valid' ? 1 : 0,
        });
      });
      const edgeColour = themeColor('--edge');
      for (const n of nodes) for (const par of n.parents) if (graph.hasNode(String(par)) && !graph.hasEdge(String(par), String(n.id))) graph.addDirectedEdge(String(par), String(n.id), { size: 1, color: edgeColour });
      sigma.current?.kill();
      const s = new Sigma(graph, box.current!, {
        labelColor: { color: themeColor('--fg') },
        labelRenderedSizeThreshold: 9,
        labelDensity: 0.5,
        zIndex: true,
        minCameraRatio: 0.02,
        maxCameraRatio: 4,
        defaultEdgeType: 'line',
        // At thousands of nodes, moving the camera redraws nodes only; edges and labels return when it stops.
        hideEdgesOnMove: nodes.length > 1500,
        hideLabelsOnMove: nodes.length > 1500,
      });
      s.on('clickNode', ({ node }) => select.current(Number(node)));
      s.on('doubleClickNode', ({ node, event }) => {
        event.preventSigmaDefault();
        navigate(p.submission(Number(node)));
      });
      s.on('clickStage', () => select.current(null));
      sigma.current = s;
      // The first frame is drawn synchronously by the constructor; wait for the browser to show it.
      requestAnimationFrame(() => {
        if (!alive) return;
        const renderMs = performance.now() - t1;
        setStatus({ text: `${nodes.length} submissions in ${e.data.layers} layers`, layoutMs, renderMs });
      });
    };
    worker.postMessage({ seq: 1, ids, parents: nodes.map((n) => n.parents) });
    return () => {
      alive = false;
      worker.terminate();
      sigma.current?.kill();
      sigma.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [nodes, onFront, direction]);

  // The selected node: highlighted, and the camera moves to it.
  useEffect(() => {
    const s = sigma.current;
    if (!s) return;
    const g = s.getGraph();
    g.forEachNode((k) => g.setNodeAttribute(k, 'highlighted', k === String(selected)));
    if (selected !== null && g.hasNode(String(selected))) {
      const d = s.getNodeDisplayData(String(selected));
      if (d) void s.getCamera().animate({ x: d.x, y: d.y, ratio: Math.min(s.getCamera().ratio, 0.3) }, { duration: 400 });
    }
  }, [selected, status.renderMs]);

  const camera = (f: (c: ReturnType<Sigma['getCamera']>) => void) => sigma.current && f(sigma.current.getCamera());
  return (
    <>
      <div className="lineage-box" ref={box} role="img" aria-label="Lineage graph: each dot a submission, lines from parent to child" />
      <div className="lineage-tools">
        <button type="button" onClick={() => camera((c) => void c.animatedZoom({ duration: 200 }))} aria-label="Zoom in">
          +
        </button>
        <button type="button" onClick={() => camera((c) => void c.animatedUnzoom({ duration: 200 }))} aria-label="Zoom out">
          −
        </button>
        <button type="button" onClick={() => camera((c) => void c.animatedReset({ duration: 200 }))}>
          Fit
        </button>
        <span className="muted small" data-testid="lineage-status" data-layout-ms={status.layoutMs?.toFixed(1)} data-render-ms={status.renderMs?.toFixed(1)}>
          {status.text}
        </span>
        <button type="button" className="small" onClick={() => setQuery('focus', null)}>
          Clear focus
        </button>
      </div>
    </>
  );
}

function Selected({ collab, node, front }: { collab: string; node: LineageNode; front: boolean }) {
  const p = paths(collab);
  const score = node.scores[0];
  return (
    <aside className="lineage-selected" data-testid="lineage-selected" aria-label="Selected submission">
      <h3>
        <Link to={p.submission(node.id)}>
          {node.ref} {node.title}
        </Link>
      </h3>
      <p>
        by <Link to={p.person(node.author)}>{node.author}</Link>
        {node.credits.length > 0 && <span className="muted"> · ideas: {node.credits.join(', ')}</span>}
        {node.badges.map((b) => (
          <Badge key={b} kind={b} />
        ))}
        {front && <span className="badge badge-front">Pareto frontier</span>}
      </p>
      {score && (
        <p>
          {num(score.mean)} on {score.hardwareClass} {score.rank !== null ? `(rank ${score.rank}, tier ${score.tier})` : '(unranked)'}
        </p>
      )}
      {node.standing.invalidatedBy && (
        <p className="warn">
          Invalid: <Link to={p.post(node.standing.invalidatedBy.postId)}>the ruling</Link>
        </p>
      )}
      <p className="muted small">
        Parents: {node.parents.map((x) => `#s${x}`).join(', ') || 'none'} · levers: {node.levers.join(', ') || 'none'}
      </p>
    </aside>
  );
}
