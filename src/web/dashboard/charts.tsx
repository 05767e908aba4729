/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Small server-rendered SVG charts (no script): vertical bars for a series over days, optionally a
 * second series beside it, and horizontal bars for categories. Each chart is an image with a text
 * alternative (`role="img"`, `aria-label` summarizing the numbers); colours come from the stylesheet.
 */

const W = 300;
const H = 100;

export function BarChart(props: { label: string; values: number[]; second?: number[]; labels?: [string, string] }) {
  const max = Math.max(1, ...props.values, ...(props.second ?? []));
  const n = props.values.length;
  const slot = W / Math.max(n, 1);
  const bw = props.second ? slot * 0.4 : slot * 0.75;
  const bar = (v: number, i: number, offset: number, cls: string) => {
    const h = Math.round((v / max) * (H - 14));
    return <rect class={cls} x={(i * slot + offset).toFixed(1)} y={H - 12 - h} width={bw.toFixed(1)} height={h} />;
  };
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.label} xmlns="http://www.w3.org/2000/svg">
      {props.values.map((v, i) => bar(v, i, slot * 0.1, 'bar'))}
      {props.second?.map((v, i) => bar(v, i, slot * 0.5, 'bar-alt'))}
      <text x="0" y={H - 1}>30 days ago</text>
      <text x={W - 30} y={H - 1}>today</text>
      <text x="0" y="9">{`max ${max}`}</text>
    </svg>
  );
}

export function CategoryChart(props: { label: string; rows: { name: string; value: number }[] }) {
  const max = Math.max(1, ...props.rows.map((r) => r.value));
  const rowH = 16;
  const height = Math.max(rowH, props.rows.length * rowH);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={props.label} xmlns="http://www.w3.org/2000/svg">
      {props.rows.map((r, i) => (
        <>
          <text x="0" y={i * rowH + 11}>{r.name}</text>
          <rect class="bar" x="130" y={i * rowH + 3} width={Math.round((r.value / max) * (W - 170))} height={rowH - 6} />
          <text x={W - 30} y={i * rowH + 11}>{String(r.value)}</text>
        </>
      ))}
    </svg>
  );
}
