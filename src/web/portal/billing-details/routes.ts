/**
 * `/p/billing`: the customer's billing information and tax IDs, when the configuration enables
 * `features.customer_update` (otherwise not found). Saving posts only what `allowed_updates` allows; a
 * field it does not allow, posted by hand, refuses the whole form (400) and changes nothing. Every change
 * runs the domain (`portal/billing-details.ts`) in one transaction; another customer's tax ID is not found.
 */
import type { Context, Hono } from 'hono';
import { ApiError } from '../../../lib/errors.ts';
import type { Decoded } from '../../../lib/params.ts';
import { addCustomerTaxId, checkBillingForm, listCustomerTaxIds, removeCustomerTaxId, saveBillingDetails } from '../../../portal/billing-details.ts';
import { allowFlowRedirect, finishFlowOr, registerFlowLanding } from '../flow-completion.tsx';
import { inTransaction, noticeFrom } from '../portal-transaction.ts';
import type { PortalKit, PortalRequest } from '../session-context.ts';
import { BILLING_NOTICES, renderBillingPage, valuesOf, type BillingPageInput } from './pages.tsx';

/** The posted text fields (nested or repeated values are not the form's and are dropped). */
function textFields(body: Decoded): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string' && k !== 'csrf') out[k] = v.slice(0, 600);
  return out;
}

/** The `customer_update` flow opens the billing details and is done once they are saved. */
const CUSTOMER_UPDATE_FLOW = { flows: ['customer_update'] } as const;
registerFlowLanding('customer_update', () => '/p/billing');

export function mountBillingDetailsRoutes(app: Hono<any>, kit: PortalKit): void {
  const openFeature = async (c: Context): Promise<PortalRequest | Response> => {
    const p = await kit.open(c);
    if (p instanceof Response) return p;
    if (!p.configuration.features.customer_update.enabled) return kit.notFound(c, p);
    return p;
  };
  const page = async (p: PortalRequest, over: Partial<BillingPageInput>): Promise<string> =>
    renderBillingPage(p, {
      values: valuesOf(p.customer),
      errors: {},
      taxIds: await listCustomerTaxIds(p.ctx, p.customer.id),
      taxForm: { type: '', value: '', error: null },
      notice: null,
      ...over,
    });

  app.get('/p/billing', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    allowFlowRedirect(c, p);
    return c.html(await page(p, { notice: noticeFrom(c.req.query('notice'), BILLING_NOTICES) }));
  });

  app.post('/p/billing', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    const form = textFields(body);
    const checked = checkBillingForm(form, p.configuration.features.customer_update.allowed_updates);
    if (!checked.ok && 'refused' in checked) return c.html(await page(p, { notice: 'field_not_allowed' }), 400);
    if (!checked.ok) return c.html(await page(p, { values: { ...valuesOf(p.customer), ...form }, errors: checked.errors }), 422);
    try {
      await inTransaction(kit, p, (ctx) => saveBillingDetails(ctx, p.customer.id, checked.params));
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      const field = err.body.param === 'email' ? 'email' : 'name';
      return c.html(await page(p, { values: { ...valuesOf(p.customer), ...form }, errors: { [field]: field === 'email' ? 'email_invalid' : 'too_long' } }), 422);
    }
    return finishFlowOr(c, kit, p, CUSTOMER_UPDATE_FLOW, '/p/billing?notice=billing_saved');
  });

  app.post('/p/billing/tax-ids', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    if (!p.configuration.features.customer_update.allowed_updates.includes('tax_id')) return c.html(await page(p, { notice: 'field_not_allowed' }), 400);
    const type = typeof body.type === 'string' ? body.type : '';
    const value = typeof body.value === 'string' ? body.value : '';
    const r = await inTransaction(kit, p, (ctx) => addCustomerTaxId(ctx, p.customer.id, type, value));
    if (!r.ok) return c.html(await page(p, { taxForm: { type, value: value.slice(0, 100), error: r.error } }), 422);
    return c.redirect('/p/billing?notice=tax_id_added', 303);
  });

  app.post('/p/billing/tax-ids/:id/remove', async (c) => {
    const p = await openFeature(c);
    if (p instanceof Response) return p;
    const body = await kit.readPost(c, p);
    if (body instanceof Response) return body;
    if (!p.configuration.features.customer_update.allowed_updates.includes('tax_id')) return c.html(await page(p, { notice: 'field_not_allowed' }), 400);
    try {
      await inTransaction(kit, p, (ctx) => removeCustomerTaxId(ctx, p.customer.id, c.req.param('id')));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return kit.notFound(c, p);
      throw err;
    }
    return c.redirect('/p/billing?notice=tax_id_removed', 303);
  });
}
