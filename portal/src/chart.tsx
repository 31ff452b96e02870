/**
 * A Chart.js chart on a canvas. Only the pieces used are registered, so the bundle carries
 * no other chart types. Labels are drawn as canvas text, never as markup.
 */
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import type { ChartData } from './chart-data.ts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.color = '#3d4451';

/** Okabe and Ito's palette (told apart with colour-blindness too), then darker shades. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C510A', '#01665E', '#762A83', '#B2182B', '#4D4D4D'];

export interface ChartProps {
  data: ChartData;
  /** Series drawn as a line on a second axis at the right (mixed charts). */
  rightAxis?: { series: string[]; title: string };
  yTitle?: string;
}

export function ChartCanvas({ data, rightAxis, yTitle }: ChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return undefined;
    const right = new Set(rightAxis?.series ?? []);
    const config: ChartConfiguration = {
      type: data.kind,
      data: {
        labels: data.labels,
        datasets: data.series.map((s, i) => ({
          label: s.label,
          data: s.data,
          ...(right.has(s.label) && { type: 'line' as const, yAxisID: 'y1' }),
          borderColor: COLOURS[i % COLOURS.length],
          backgroundColor: COLOURS[i % COLOURS.length],
          borderWidth: data.kind === 'line' || right.has(s.label) ? 2 : 0,
          pointRadius: data.labels.length > 60 ? 0 : 3,
          spanGaps: true,
        })),
      },
      options: {
        // Drawn at once: no animation to wait for, and nothing moves for people who'd rather it didn't.
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: data.series.length > 1 || right.size > 0 } },
        scales: {
          y: { beginAtZero: true, ...(yTitle && { title: { display: true, text: yTitle } }) },
          ...(rightAxis && { y1: { position: 'right' as const, beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: rightAxis.title } } }),
        },
      },
    };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [data, rightAxis, yTitle]);
  return (
    <div class="chart-box">
      <canvas ref={canvas} role="img" aria-label={data.description}>{data.description}</canvas>
    </div>
  );
}
