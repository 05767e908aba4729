/**
 * What `npm run bench` collects and prints: the rows (one measurement each, with its ratio to a limit),
 * the notes, the aims met or missed; the table on stdout and bench/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { settings, type Measurement } from './load.ts';

export type DbName = 'pglite' | 'postgres';

export interface Row {
  name: string;
  db: DbName | null;
  measurement: Measurement;
  /** Name of the row this one is divided by. */
  limit?: string;
  ratio?: number;
  note?: string;
}

export const rows: Row[] = [];
export const notes: string[] = [];

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export function record(row: Row): Row {
  rows.push(row);
  const m = row.measurement;
  log(
    `${row.name}${row.db ? ` (${row.db})` : ''}: ${m.perSecond.toFixed(0)}/s, p50 ${m.latencyMs.p50.toFixed(2)} ms, ` +
      `p99 ${m.latencyMs.p99.toFixed(2)} ms${m.failures ? `, ${m.failures} FAILED` : ''}` +
      (row.ratio !== undefined ? `, ratio ${row.ratio.toFixed(3)}` : ''),
  );
  if (m.failures > 0) notes.push(`${row.name} (${row.db ?? '-'}): ${m.failures} failed requests/operations`);
  return row;
}

export interface Aim {
  aim: string;
  value: string;
  met: boolean | null;
}

export const aims: Aim[] = [];

/** Whether the module at `moduleUrl` is the script node was started with (`tsx bench/<section>.ts`). */
export function isMainModule(moduleUrl: string): boolean {
  return !!process.argv[1] && moduleUrl === pathToFileURL(process.argv[1]).href;
}

/**
 * Runs one bench section as a script of its own: `run` gets the databases (BENCH_DATABASES), the
 * PostgreSQL URL (DATABASE_URL) and a logger; `lines` says what to print of its result, then its aims
 * and notes are printed. The process exits 0, or 1 after printing an error.
 */
export function runSectionAlone<T extends { aims: Aim[]; notes: string[] }>(
  run: (opts: { databases: string[]; pgUrl: string; log: (m: string) => void }) => Promise<T>,
  lines: (result: T) => string[],
): void {
  const databases = (process.env.BENCH_DATABASES ?? 'pglite,postgres').split(',').map((s) => s.trim());
  const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  run({ databases, pgUrl, log }).then(
    (result) => {
      for (const line of lines(result)) console.log(line);
      for (const a of result.aims) console.log(`${a.met === null ? 'n/a ' : a.met ? 'MET ' : 'MISS'}  ${a.aim}: ${a.value}`);
      for (const n of result.notes) console.log(`note: ${n}`);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);
}

function printTable(): void {
  const header = ['benchmark', 'db', 'ops/s', 'p50 ms', 'p99 ms', 'failed', 'ratio', 'limit'];
  const body = rows.map((r) => [
    r.name,
    r.db ?? '-',
    fmt(r.measurement.perSecond),
    fmt(r.measurement.latencyMs.p50, 2),
    fmt(r.measurement.latencyMs.p99, 2),
    String(r.measurement.failures),
    r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(1)} %`,
    r.limit ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

export function report(started: number, loadAtStart: number, postgresVersion: string | null): void {
  console.log('');
  console.log(
    `Portico API benchmarks — ${settings.connections} connections, ${settings.durationSeconds} s each ` +
      `after ${settings.warmupSeconds} s warm-up, ${cpus().length} CPUs, node ${process.version}` +
      (postgresVersion ? `, ${postgresVersion}` : ''),
  );
  console.log('ratio: ops/s ÷ the limit measured in this run (compare ratios, not raw numbers: the machine is shared)');
  console.log(
    `HTTP latencies come from autocannon (1 ms resolution); load average ${loadAtStart.toFixed(2)} at start, ` +
      `${loadavg()[0]!.toFixed(2)} at end`,
  );
  console.log('');
  printTable();
  console.log('');
  console.log('Aims:');
  for (const a of aims) {
    console.log(`  ${a.met === null ? 'n/a ' : a.met ? 'MET ' : 'MISS'}  ${a.aim}: ${a.value}`);
  }
  if (notes.length > 0) {
    console.log('');
    console.log('Notes:');
    for (const n of notes) console.log(`  - ${n}`);
  }

  const here = dirname(fileURLToPath(import.meta.url));
  const out = join(here, 'results', 'latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        date: new Date(started).toISOString(),
        seconds: Math.round((Date.now() - started) / 1000),
        node: process.version,
        cpus: cpus().length,
        postgres: postgresVersion,
        settings,
        loadAverage: { start: loadAtStart, end: loadavg()[0] },
        results: rows.map((r) => ({
          name: r.name,
          db: r.db,
          perSecond: r.measurement.perSecond,
          total: r.measurement.total,
          failures: r.measurement.failures,
          latencyMs: r.measurement.latencyMs,
          ...(r.limit ? { limit: r.limit, ratio: r.ratio } : {}),
        })),
        aims,
        notes,
      },
      null,
      2,
    ) + '\n',
  );
  console.log('');
  console.log(`Written ${out} (${Math.round((Date.now() - started) / 1000)} s)`);
}
