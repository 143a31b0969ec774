'use client';
/**
 * Brush-to-zoom for a time chart: drag across it and the page navigates to the selection
 * (lib/dashboard/brush-zoom.ts says what range that is). The chart's own pointer handling is
 * left alone (tooltips keep working): the drag is read on a wrapping element and turned into
 * instants with the chart's X scale, which {@link BrushLayer}, rendered inside the chart,
 * hands out and on which it draws the selection.
 */
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useRef, useState, type PointerEvent, type ReactNode, type RefObject } from 'react';
import { usePlotArea, useXAxisInverseScale, type InverseScaleFunction } from 'recharts';
import { MIN_DRAG_PX, zoomQuery, zoomSelection } from '../../lib/dashboard/brush-zoom';

interface ChartGeometry {
  inverse?: InverseScaleFunction;
  plot?: { x: number; y: number; width: number; height: number };
}

interface Drag {
  a: number;
  b: number;
}

/** Inside the chart: reads its X scale and plot area for the wrapper, and draws the selection. */
function BrushLayer({ geometry, drag }: { geometry: RefObject<ChartGeometry>; drag: Drag | null }) {
  const inverse = useXAxisInverseScale();
  const plot = usePlotArea();
  useEffect(() => {
    geometry.current = { inverse, plot };
  }, [geometry, inverse, plot]);
  if (!plot) return null;
  // The area a drag may start in, drawn invisibly: it says where the plot is (tests aim at it).
  const area = <rect data-testid="brush-area" x={plot.x} y={plot.y} width={plot.width} height={plot.height} fill="none" stroke="none" pointerEvents="none" />;
  const left = drag ? Math.max(plot.x, Math.min(drag.a, drag.b)) : 0;
  const right = drag ? Math.min(plot.x + plot.width, Math.max(drag.a, drag.b)) : 0;
  return (
    <g className="brush-zoom">
      {area}
      {drag && right > left && (
        <rect data-testid="brush-selection" x={left} y={plot.y} width={right - left} height={plot.height} fill="var(--accent)" fillOpacity={0.15} stroke="var(--accent)" strokeOpacity={0.6} pointerEvents="none" />
      )}
    </g>
  );
}

/** Pixel x of a pointer in the chart's SVG coordinates. */
function svgX(e: PointerEvent<HTMLElement>): number | null {
  // The chart's own surface, not a legend icon's (those are svg.recharts-surface too).
  const svg = e.currentTarget.querySelector('.recharts-wrapper > svg.recharts-surface') ?? e.currentTarget.querySelector('svg.recharts-surface');
  if (!svg) return null;
  return e.clientX - svg.getBoundingClientRect().left;
}

/**
 * `wrapper` goes on an element around the chart, `layer` inside the chart (a child of
 * LineChart, BarChart, ComposedChart). `now` is read when the drag ends.
 */
export function useBrushZoom(): { wrapper: Record<string, unknown>; layer: ReactNode } {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const geometry = useRef<ChartGeometry>({});
  const [drag, setDrag] = useState<Drag | null>(null);

  const inPlot = (x: number) => {
    const plot = geometry.current.plot;
    return plot !== undefined && x >= plot.x && x <= plot.x + plot.width;
  };
  const onPointerDown = useCallback((e: PointerEvent<HTMLElement>) => {
    if (e.button !== 0) return;
    const x = svgX(e);
    if (x === null || !inPlot(x)) return;
    e.currentTarget.setPointerCapture?.(e.pointerId);
    setDrag({ a: x, b: x });
  }, []);
  const onPointerMove = useCallback((e: PointerEvent<HTMLElement>) => {
    const x = svgX(e);
    if (x !== null) setDrag((d) => (d ? { ...d, b: x } : d));
  }, []);
  const onPointerUp = useCallback(
    (e: PointerEvent<HTMLElement>) => {
      const x = svgX(e);
      setDrag(null);
      if (!drag || x === null || Math.abs(x - drag.a) < MIN_DRAG_PX) return;
      const { inverse, plot } = geometry.current;
      if (!inverse || !plot) return;
      // A drag let go beyond the plot ends at its edge, not at an instant off the axis.
      const end = Math.max(plot.x, Math.min(plot.x + plot.width, x));
      const range = zoomSelection(Number(inverse(drag.a)), Number(inverse(end)), Date.now());
      if (range) router.push(`${pathname}${zoomQuery(params.toString(), range)}`);
    },
    [drag, params, pathname, router],
  );
  const onCancel = useCallback(() => setDrag(null), []);

  return {
    wrapper: {
      onPointerDown,
      onPointerMove,
      onPointerUp,
      onPointerCancel: onCancel,
      'data-brush': drag ? 'dragging' : 'idle',
      style: { cursor: 'crosshair', touchAction: 'pan-y', userSelect: 'none' },
    },
    layer: <BrushLayer geometry={geometry} drag={drag} />,
  };
}
