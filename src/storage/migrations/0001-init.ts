/** The initial schema: accounts, the object store, the event outbox and idempotency keys. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('test_secret_key', 'text', (c) => c.notNull())
    .addColumn('live_secret_key', 'text', (c) => c.notNull())
    .addColumn('test_publishable_key', 'text', (c) => c.notNull())
    .addColumn('live_publishable_key', 'text', (c) => c.notNull())
    .execute();
  // One account per installation, even when several processes start on one database at once.
  await sql`create unique index accounts_singleton on accounts ((true))`.execute(db);

  await db.schema
    .createTable('objects')
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('object', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('customer', 'text')
    .addColumn('deleted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('data', 'json', (c) => c.notNull())
    .addColumn('private', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addPrimaryKeyConstraint('objects_pkey', ['livemode', 'id'])
    .execute();
  await sql`create unique index objects_seq on objects (seq)`.execute(db);
  await sql`create index objects_list on objects (livemode, object, seq desc)`.execute(db);
  await sql`create index objects_by_customer on objects (livemode, customer, object, seq desc)
            where customer is not null`.execute(db);
  await sql`create index objects_customer_email on objects (livemode, (data->>'email'))
            where object = 'customer'`.execute(db);
  // Stripe: a lookup key names at most one price per mode.
  await sql`create unique index objects_price_lookup_key on objects (livemode, (data->>'lookup_key'))
            where object = 'price' and data->>'lookup_key' is not null`.execute(db);
  // Stripe: a code is unique, regardless of case, among the active promotion codes.
  await sql`create unique index objects_active_promotion_code on objects (livemode, lower(data->>'code'))
            where object = 'promotion_code' and (data->>'active') = 'true'`.execute(db);

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('data', 'json', (c) => c.notNull())
    .execute();
  await sql`create unique index events_seq on events (seq)`.execute(db);
  await sql`create index events_list on events (livemode, seq desc)`.execute(db);

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('locked_at', 'bigint')
    .addColumn('status', 'integer')
    .addColumn('response', 'text')
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['livemode', 'key'])
    .execute();
  await sql`create index idempotency_keys_created on idempotency_keys (created)`.execute(db);
}
