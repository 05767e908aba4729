/**
 * The customer portal settings form ↔ the API's parameters. Form fields carry the API's own parameter
 * names (`features[subscription_cancel][mode]`), so an API error's `param` names the field to mark.
 * What a browser does not send is filled in here: an unchecked box is `false`, a set of boxes with
 * none checked is `""` (unset, as on the API), and an offered product with no price checked is left
 * out. The result goes through the API's own schema and `updateConfiguration`.
 */
import type { Decoded } from '../../lib/params.ts';

const BOOLEANS = [
  ['features', 'customer_update', 'enabled'],
  ['features', 'invoice_history', 'enabled'],
  ['features', 'payment_method_update', 'enabled'],
  ['features', 'subscription_cancel', 'enabled'],
  ['features', 'subscription_cancel', 'cancellation_reason', 'enabled'],
  ['features', 'subscription_update', 'enabled'],
  ['login_page', 'enabled'],
] as const;

const ARRAYS = [
  ['features', 'customer_update', 'allowed_updates'],
  ['features', 'subscription_cancel', 'cancellation_reason', 'options'],
  ['features', 'subscription_update', 'default_allowed_updates'],
] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(root: Obj, path: readonly string[]): Obj {
  let o = root;
  for (const key of path) {
    if (!isObj(o[key])) o[key] = {};
    o = o[key] as Obj;
  }
  return o;
}

/** The update parameters a submitted settings form means. */
export function configurationParamsFromForm(body: Decoded, opts: { isDefault: boolean }): Decoded {
  const params = structuredClone(body) as Obj;
  for (const path of BOOLEANS) {
    const parent = at(params, path.slice(0, -1));
    const key = path[path.length - 1]!;
    parent[key] = parent[key] === 'true' ? 'true' : 'false';
  }
  for (const path of ARRAYS) {
    const parent = at(params, path.slice(0, -1));
    const key = path[path.length - 1]!;
    const v = parent[key];
    parent[key] = Array.isArray(v) && v.length > 0 ? v : typeof v === 'string' && v !== '' ? [v] : '';
  }
  // Period-end scheduling conditions: one box per condition type.
  const schedule = at(params, ['features', 'subscription_update', 'schedule_at_period_end']);
  const conditions = schedule.conditions;
  const types = Array.isArray(conditions) ? conditions : typeof conditions === 'string' && conditions ? [conditions] : [];
  schedule.conditions = types.length > 0 ? types.map((type) => ({ type })) : '';
  // Offered products: one entry per product with at least one price checked.
  const update = at(params, ['features', 'subscription_update']);
  const rows = update.products;
  const entries = (Array.isArray(rows) ? rows : isObj(rows) ? Object.values(rows) : []).filter(isObj);
  const products = entries
    .map((row) => {
      const prices = Array.isArray(row.prices) ? row.prices : typeof row.prices === 'string' && row.prices ? [row.prices] : [];
      const q = isObj(row.adjustable_quantity) ? row.adjustable_quantity : {};
      const adjustable: Obj = { enabled: q.enabled === 'true' ? 'true' : 'false', minimum: q.minimum === '' || q.minimum === undefined ? '0' : q.minimum };
      if (q.maximum !== '' && q.maximum !== undefined) adjustable.maximum = q.maximum;
      return { product: row.product, prices, adjustable_quantity: adjustable };
    })
    .filter((p) => p.prices.length > 0);
  update.products = products.length > 0 ? products : '';
  // The default configuration is always active (the API refuses deactivating it).
  if (opts.isDefault) delete params.active;
  else params.active = params.active === 'true' ? 'true' : 'false';
  return params;
}
