import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** The theme's colours for canvas drawing (canvases cannot read CSS variables themselves). */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/**
 * A uPlot chart that fills its container's width and follows it on resize; `onPick` gets the
 * index of the point nearest a click (the caller links it). Data updates in place (setData), so
 * live updates do not rebuild the chart.
 */
export function Plot({ options, data, height = 260, onPick, label }: { options: Omit<uPlot.Options, 'width' | 'height'>; data: uPlot.AlignedData; height?: number; onPick?: (idx: number) => void; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  useEffect(() => {
    const el = box.current!;
    const u = new uPlot({ ...options, width: el.clientWidth || 600, height }, data, el);
    chart.current = u;
    const click = () => {
      const i = u.cursor.idx;
      if (i !== null && i !== undefined) pick.current?.(i);
    };
    u.over.addEventListener('click', click);
    const ro = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      chart.current = null;
    };
    // The options are fixed for a chart's life; the data follows below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [height]);
  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);
  return <div className="plot" ref={box} role="img" aria-label={label} />;
}
