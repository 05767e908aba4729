/**
 * The billing bench's fast seeder: a few template subscriptions are made through the domain functions
 * (bench/billing.ts `seedSubscriptions`: customer, card attached and made default, monthly
 * subscription whose first invoice is created, finalized and charged), then each is replicated
 * set-wise in SQL, a chunk of replicas per transaction, as `insert … select` from the template's rows.
 *
 * A replica is the template with every id of its own replaced, wherever it occurs (columns, the
 * `data` JSON, `private`): customer, payment method, subscription, subscription item, invoice, line
 * item and event ids get new ids of the same kind (src/lib/ids.ts `newId`, made here in Node and sent
 * as parameters); the hosted-invoice token gets 32 new random bytes and the `invoice_link` row the id
 * hashed from it (billing/invoices/hosted-links.ts); the customer a new `invoice_prefix` (so invoice
 * numbers stay unique per customer) and email. Ids shared by every subscription (price, product) stay.
 * Rows replicated per subscription: `objects` (customer, payment method, subscription with its
 * `due_at` and `private`, invoice, invoice link), `billing_periods` (the first period) and `events`
 * (the nine the creation emitted). An id of a kind the seeder does not know is an error, never copied.
 * Afterwards the tables are vacuumed and analyzed, as autovacuum would have done for rows written
 * over time (PostgreSQL; PGlite: analyzed).
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../src/lib/clock.ts';
import { ID_PREFIXES, newId, randomBase62, type IdKind } from '../src/lib/ids.ts';
import type { Db } from '../src/storage/database.ts';
import { seedSubscriptions } from './billing.ts';

/** Ids a replica shares with its template (the catalog). */
const SHARED_KINDS = new Set<IdKind>(['price', 'product']);
const KIND_OF_PREFIX = new Map<string, IdKind>(Object.entries(ID_PREFIXES).map(([k, p]) => [p, k as IdKind]));
/** An id of src/lib/ids.ts's format: a known prefix, `_`, 24 base62 characters, alone. */
const ID_PATTERN = /(?<![A-Za-z0-9_])([a-z]+(?:_[a-z]+)*)_([0-9A-Za-z]{24})(?![A-Za-z0-9_])/g;

interface Template {
  subscription: string;
  customer: string;
  /** Strings replaced in every replicated value, in this order; `make` makes a replica's. */
  froms: string[];
  /** Makes replica `i`'s value for each of `froms` (called in order, with one `state` per replica). */
  make: ((i: number, state: { token?: string }) => string)[];
  objects: string[];
  events: string[];
}

/** What varies per replica in one template's rows, found in the rows themselves. */
async function readTemplate(db: Db, subscription: string): Promise<Template> {
  const sub = await db.selectFrom('objects').select(['customer']).where('livemode', '=', false).where('id', '=', subscription).executeTakeFirstOrThrow();
  const customer = sub.customer!;
  const objects = await db
    .selectFrom('objects')
    .select(['id', 'object', 'data', 'private'])
    .where('livemode', '=', false)
    .where('customer', '=', customer)
    .orderBy('seq')
    .execute();
  const { rows: events } = await sql<{ id: string; text: string }>`
    select id, data::text as text from events where data::text like ${`%"${customer}"%`} order by seq`.execute(db);
  const text = JSON.stringify(objects.map((o) => [o.id, o.data, o.private]));
  const froms: string[] = [];
  const make: Template['make'] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(ID_PATTERN)) {
    const id = m[0];
    if (seen.has(id)) continue;
    seen.add(id);
    const kind = KIND_OF_PREFIX.get(m[1]!);
    if (!kind) throw new Error(`billing seed: template ${subscription} holds an id of unknown kind: ${id}`);
    if (SHARED_KINDS.has(kind)) continue;
    froms.push(id);
    make.push(() => newId(kind));
  }
  const customerRow = objects.find((o) => o.object === 'customer')!.data as { email: string; invoice_prefix: string };
  const invoice = objects.find((o) => o.object === 'invoice')!.data as { hosted_invoice_url: string };
  const link = objects.find((o) => o.object === 'invoice_link')!;
  const token = /\/i\/([A-Za-z0-9_-]{43})$/.exec(invoice.hosted_invoice_url)?.[1];
  if (!token || link.id !== `ihl_${hash(token)}`) throw new Error(`billing seed: template ${subscription}: unexpected hosted link`);
  if (objects.some((o) => o.object !== 'invoice_link' && o.id.startsWith('ihl_'))) throw new Error('billing seed: unexpected ihl_ id');
  // The token and its link id go together: the replica's link id is the hash of its token.
  froms.push(token, link.id, `"${customerRow.invoice_prefix}`, `"${customerRow.email}"`);
  make.push(
    (_, state) => (state.token = randomBytes(32).toString('base64url')),
    (_, state) => `ihl_${hash(state.token!)}`,
    () => `"${randomBase62(8).toUpperCase().replace(/[^A-Z0-9]/g, 'X')}`,
    (i) => `"s${i}@example.com"`,
  );
  return { subscription, customer, froms, make, objects: objects.map((o) => o.id), events: events.map((e) => e.id) };
}

function hash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `replace(replace(x, f[1], r[1]), f[2], r[2]) …` over `n` pairs. */
function chain(x: string, n: number): string {
  let out = x;
  for (let k = 1; k <= n; k++) out = `replace(${out}, f.froms[${k}], r.tos[${k}])`;
  return out;
}

export interface FastSeed {
  price: string;
  /** The template subscriptions (made through the domain functions). */
  templates: string[];
  /** Some replica subscription ids (the first `keep`), in seeding order. */
  replicas: string[];
  total: number;
}

/**
 * Seeds `n` subscriptions: `templates` through the domain functions, the rest replicated from them in
 * chunks of `chunk` replicas per transaction (see the module comment). `events: false` leaves out the
 * replicas' creation events (two thirds of a seeded subscription's bytes; the billing clock never reads
 * them, it only appends its own).
 */
export async function seedFast(
  db: Db,
  clock: Clock,
  n: number,
  opts: { templates?: number; chunk?: number; keep?: number; vacuum?: boolean; events?: boolean; parallel?: number; log?: (m: string) => void } = {},
): Promise<FastSeed> {
  const nTemplates = Math.max(1, Math.min(opts.templates ?? 4, n));
  const chunk = opts.chunk ?? 5_000;
  const keep = opts.keep ?? 10_000;
  const { ids, price } = await seedSubscriptions(db, clock, nTemplates, { chunk: nTemplates, parallel: 1 });
  const templates = await Promise.all(ids.map((id) => readTemplate(db, id)));
  const pairs = Math.max(...templates.map((t) => t.froms.length));
  const fromsJson = JSON.stringify(templates.map((t, i) => ({ t: i, froms: padded(t.froms, pairs) })));
  const objectsJson = JSON.stringify(templates.flatMap((t, i) => t.objects.map((id) => ({ t: i, id }))));
  const eventsJson = JSON.stringify(templates.flatMap((t, i) => t.events.map((id, pos) => ({ t: i, id, pos: pos + 1 }))));
  const replicas: string[] = [];
  const subIndex = templates.map((t) => t.froms.indexOf(t.subscription));
  let next = nTemplates;
  let made = nTemplates;
  // `parallel` chunks at a time, each in its own transaction (PGlite runs them one after another).
  const lane = async () => {
    while (next < n) {
      const from = next;
      const size = Math.min(chunk, n - from);
      next = from + size;
      const batch: { r: number; t: number; tos: string[]; evts: string[] }[] = [];
      for (let j = 0; j < size; j++) {
        const i = from + j;
        const t = i % nTemplates;
        const tpl = templates[t]!;
        const state = {};
        const tos = tpl.make.map((f) => f(i, state));
        if (replicas.length < keep) replicas.push(tos[subIndex[t]!]!);
        batch.push({ r: j, t, tos: padded(tos, pairs), evts: tpl.events.map(() => newId('event')) });
      }
      const replicasJson = JSON.stringify(batch);
      await db.transaction().execute(async (tx) => {
        const m = sql`(select * from json_to_recordset(${replicasJson}::json) as r (r int, t int, tos text[], evts text[])) r
          join (select * from json_to_recordset(${fromsJson}::json) as f (t int, froms text[])) f on f.t = r.t`;
        await sql`
          insert into objects (livemode, id, object, created, customer, deleted, data, private, due_at, test_clock)
          select o.livemode, ${sql.raw(chain('o.id', pairs))}, o.object, o.created, ${sql.raw(chain('o.customer', pairs))},
                 o.deleted, (${sql.raw(chain('o.data::text', pairs))})::json, (${sql.raw(chain('o.private::text', pairs))})::jsonb,
                 o.due_at, o.test_clock
            from ${m}
            join (select * from json_to_recordset(${objectsJson}::json) as x (t int, id text)) x on x.t = r.t
            join objects o on o.livemode = false and o.id = x.id
           order by r.r, o.seq`.execute(tx);
        await sql`
          insert into billing_periods (livemode, subscription, period_start, invoice, created)
          select p.livemode, ${sql.raw(chain('p.subscription', pairs))}, p.period_start, ${sql.raw(chain('p.invoice', pairs))}, p.created
            from ${m}
            join (select * from json_to_recordset(${fromsJson}::json) as s (t int, froms text[])) s on s.t = r.t
            join billing_periods p on p.livemode = false and p.subscription = any (s.froms)
           order by r.r`.execute(tx);
        if (opts.events === false) return;
        await sql`
          insert into events (id, livemode, type, created, data)
          select r.evts[e.pos], v.livemode, v.type, v.created, replace(${sql.raw(chain('v.data::text', pairs))}, v.id, r.evts[e.pos])::json
            from ${m}
            join (select * from json_to_recordset(${eventsJson}::json) as e (t int, id text, pos int)) e on e.t = r.t
            join events v on v.id = e.id
           order by r.r, v.seq`.execute(tx);
      });
      made += size;
      if (opts.log && Math.floor(made / chunk) % 20 === 0) opts.log(`  replicated ${made}/${n} subscriptions`);
    }
  };
  await Promise.all(Array.from({ length: opts.parallel ?? 2 }, lane));
  if (opts.vacuum !== false) {
    for (const table of ['objects', 'events', 'billing_periods']) await sql`vacuum (analyze) ${sql.table(table)}`.execute(db).catch(async () => sql`analyze ${sql.table(table)}`.execute(db));
  }
  return { price, templates: ids, replicas, total: n };
}

function padded(values: string[], n: number): string[] {
  return values.length >= n ? values : [...values, ...Array.from({ length: n - values.length }, () => '')];
}
