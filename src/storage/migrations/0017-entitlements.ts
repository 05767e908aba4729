/**
 * Entitlements (billing/entitlements/):
 * - a feature's `lookup_key` is unique among the mode's active features (an archived one frees it);
 * - a product holds a feature at most once (`product_feature` rows not deleted; the product is kept in
 *   `private.product`, the API object not showing it), and its features are listed by product.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unique index objects_active_feature_lookup_key on objects (livemode, (data->>'lookup_key'))
            where object = 'entitlements.feature' and (data->>'active') = 'true'`.execute(db);
  await sql`create unique index objects_product_feature on objects (livemode, (private->>'product'), (data->'entitlement_feature'->>'id'))
            where object = 'product_feature' and not deleted`.execute(db);
}
