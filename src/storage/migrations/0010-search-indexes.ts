/**
 * Search (billing/search): indexes so a query over 100,000 customers stays fast.
 * - `metadata['key']:'value'` on any searchable object: a GIN index of the metadata (as jsonb; the
 *   search compiles the clause to `@>` containment, which it serves).
 * - `created>…` ranges: (livemode, object, created), for searches and list filters alike.
 * - customers by `name` and `phone` exactly, as `email` already is (0001).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index objects_search_metadata on objects using gin (((data->'metadata')::jsonb) jsonb_path_ops)
            where object in ('customer', 'invoice', 'price', 'product', 'subscription')`.execute(db);
  await sql`create index objects_created on objects (livemode, object, created)`.execute(db);
  await sql`create index objects_customer_name on objects (livemode, (data->>'name'))
            where object = 'customer'`.execute(db);
  await sql`create index objects_customer_phone on objects (livemode, (data->>'phone'))
            where object = 'customer'`.execute(db);
}
