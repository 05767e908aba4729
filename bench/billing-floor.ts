/**
 * The billing clock's write floor (limit D of `npm run bench`): how many renewals per second the
 * database takes when it is handed nothing but a renewal's writes, with no reads and no domain work.
 * A sample renewal is read back from the benchmark's own data (its invoice and invoice link, the five
 * events, its `billing_periods` row, the subscription and customer rows it rewrote); then batches of
 * 250 copies (new ids) are written through the unit of work's own multi-row statements
 * (storage/unit-of-work-flush.ts), one transaction per batch, as a claim transaction commits them.
 * Renewals/s divided by this is the share of the database's write capacity the engine reaches.
 */
import { sql } from 'kysely';
import { newId } from '../src/lib/ids.ts';
import type { Db } from '../src/storage/database.ts';
import { objectsByIds } from '../src/storage/objects.ts';
import { writeBuffered, type BufferedEvent, type BufferedPeriod, type Column, type Entry } from '../src/storage/unit-of-work-flush.ts';
import type { ObjectRow } from '../src/storage/schema.ts';

const BATCH = 250;

interface Sample {
  invoice: ObjectRow;
  link: ObjectRow;
  events: { type: string; data: unknown }[];
  subscription: ObjectRow;
  customer: ObjectRow;
}

async function sampleRenewal(db: Db, subscriptionId: string): Promise<Sample> {
  const row = (id: string) => db.selectFrom('objects').selectAll().where('livemode', '=', false).where('id', '=', id).executeTakeFirstOrThrow();
  const subscription = await row(subscriptionId);
  const invoice = await row((subscription.data as { latest_invoice: string }).latest_invoice);
  const customer = await row(subscription.customer!);
  const link = await db
    .selectFrom('objects')
    .selectAll()
    .where('livemode', '=', false)
    .where('object', '=', 'invoice_link')
    .where(sql<string>`data->>'invoice'`, '=', invoice.id)
    .executeTakeFirstOrThrow();
  const { rows: events } = await sql<{ type: string; data: unknown }>`
    select type, data from events
     where data->'data'->'object'->>'id' in (${invoice.id}, ${subscription.id})
     order by seq desc limit 5`.execute(db);
  return { invoice, link, events, subscription, customer };
}

function entry(r: ObjectRow, state: 'new' | 'dirty', changed: Column[], id = r.id): Entry {
  return {
    livemode: r.livemode,
    id,
    object: r.object,
    created: r.created,
    customer: r.customer,
    deleted: r.deleted,
    data: null,
    dataJson: JSON.stringify(r.data),
    priv: null,
    privJson: JSON.stringify(r.private),
    due_at: r.due_at,
    test_clock: r.test_clock,
    seq: null,
    order: 0,
    locked: true,
    state,
    changed: new Set(changed),
  };
}

/**
 * Writes `batches` batches of a renewal's rows (copies of the sample, the updates aimed at the given
 * subscriptions and their customers); returns renewals per second.
 */
export async function measureWriteFloor(db: Db, subscriptionIds: string[], batches = 20): Promise<number> {
  const sample = await sampleRenewal(db, subscriptionIds[0]!);
  const targets = await objectsByIds(db, false, subscriptionIds.slice(0, BATCH * batches));
  const eventJson = sample.events.map((e) => ({ type: e.type, json: JSON.stringify(e.data) }));
  const started = performance.now();
  let renewals = 0;
  for (let b = 0; b < batches; b++) {
    const slice = targets.slice((b * BATCH) % targets.length, (b * BATCH) % targets.length + BATCH);
    const inserts: Entry[] = [];
    const subs: Entry[] = [];
    const customers: Entry[] = [];
    const events: BufferedEvent[] = [];
    const periods: BufferedPeriod[] = [];
    for (const t of slice) {
      const invoiceId = newId('invoice');
      const linkId = sample.link.id.slice(0, -24) + newId('invoice').slice(-24);
      inserts.push(entry(sample.invoice, 'new', [], invoiceId), entry(sample.link, 'new', [], linkId));
      subs.push(entry({ ...sample.subscription, id: t.id }, 'dirty', ['data', 'private', 'due_at']));
      customers.push(entry({ ...sample.customer, id: t.customer! }, 'dirty', ['data']));
      for (const e of eventJson) events.push({ id: newId('event'), livemode: false, type: e.type, created: sample.invoice.created, json: e.json, endpoints: [], guard: null });
      periods.push({ livemode: false, subscription: t.id, period_start: 4_000_000_000 + b, invoice: invoiceId, created: sample.invoice.created });
    }
    await db.transaction().execute((tx) =>
      writeBuffered(tx, {
        inserts,
        updates: new Map([
          ['data,due_at,private', subs],
          ['data', customers],
        ]),
        periods,
        statements: [],
        events,
        notifyChannel: 'portico_bench_floor',
      }),
    );
    renewals += slice.length;
  }
  return renewals / ((performance.now() - started) / 1000);
}
