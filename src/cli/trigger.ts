/**
 * `portico trigger <event>`: makes the real state change that emits an event, through the API with the
 * official SDK (so the event carries a request id and reaches webhook endpoints like any other), as
 * `stripe trigger` does with its fixtures. Each trigger creates what it needs (a customer to update, a
 * coupon to make a promotion code for, …) and reports every object it made.
 */
import type Stripe from 'stripe';

const MADE_BY = '(created by portico trigger)';

/** What a trigger did, one line per object it made or changed. */
type Trigger = (stripe: Stripe, report: (line: string) => void) => Promise<void>;

async function customer(stripe: Stripe, report: (line: string) => void): Promise<Stripe.Customer> {
  const c = await stripe.customers.create({ name: 'Portico Trigger', email: 'trigger@example.com', description: MADE_BY });
  report(`Created customer ${c.id}`);
  return c;
}

async function product(stripe: Stripe, report: (line: string) => void): Promise<Stripe.Product> {
  const p = await stripe.products.create({ name: 'Portico Trigger Product', description: MADE_BY });
  report(`Created product ${p.id}`);
  return p;
}

async function coupon(stripe: Stripe, report: (line: string) => void): Promise<Stripe.Coupon> {
  const c = await stripe.coupons.create({ percent_off: 25, duration: 'once', name: 'Portico Trigger 25%' });
  report(`Created coupon ${c.id}`);
  return c;
}

async function testClock(stripe: Stripe, report: (line: string) => void): Promise<Stripe.TestHelpers.TestClock> {
  const clock = await stripe.testHelpers.testClocks.create({
    frozen_time: Math.floor(Date.now() / 1000),
    name: 'Portico trigger',
  });
  report(`Created test clock ${clock.id} (frozen at ${clock.frozen_time})`);
  return clock;
}

/** How long `test_helpers.test_clock.ready` waits for the billing clock to finish the advance. */
const READY_TIMEOUT_MS = 30_000;

const TRIGGERS: Record<string, Trigger> = {
  'customer.created': async (stripe, report) => {
    await customer(stripe, report);
  },
  'customer.updated': async (stripe, report) => {
    const c = await customer(stripe, report);
    await stripe.customers.update(c.id, { name: 'Portico Trigger (updated)', metadata: { triggered: 'true' } });
    report(`Updated customer ${c.id}`);
  },
  'customer.deleted': async (stripe, report) => {
    const c = await customer(stripe, report);
    await stripe.customers.del(c.id);
    report(`Deleted customer ${c.id}`);
  },
  'product.created': async (stripe, report) => {
    await product(stripe, report);
  },
  'product.updated': async (stripe, report) => {
    const p = await product(stripe, report);
    await stripe.products.update(p.id, { name: 'Portico Trigger Product (updated)' });
    report(`Updated product ${p.id}`);
  },
  'product.deleted': async (stripe, report) => {
    const p = await product(stripe, report);
    await stripe.products.del(p.id);
    report(`Deleted product ${p.id}`);
  },
  'price.created': async (stripe, report) => {
    const p = await product(stripe, report);
    const price = await stripe.prices.create({ product: p.id, unit_amount: 1500, currency: 'usd', recurring: { interval: 'month' } });
    report(`Created price ${price.id} (15.00 USD a month)`);
  },
  'price.updated': async (stripe, report) => {
    const p = await product(stripe, report);
    const price = await stripe.prices.create({ product: p.id, unit_amount: 1500, currency: 'usd' });
    report(`Created price ${price.id}`);
    await stripe.prices.update(price.id, { nickname: 'Portico trigger' });
    report(`Updated price ${price.id}`);
  },
  'coupon.created': async (stripe, report) => {
    await coupon(stripe, report);
  },
  'coupon.updated': async (stripe, report) => {
    const c = await coupon(stripe, report);
    await stripe.coupons.update(c.id, { name: 'Portico Trigger 25% (updated)' });
    report(`Updated coupon ${c.id}`);
  },
  'coupon.deleted': async (stripe, report) => {
    const c = await coupon(stripe, report);
    await stripe.coupons.del(c.id);
    report(`Deleted coupon ${c.id}`);
  },
  'promotion_code.created': async (stripe, report) => {
    const c = await coupon(stripe, report);
    const code = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id } });
    report(`Created promotion code ${code.id} (${code.code})`);
  },
  'promotion_code.updated': async (stripe, report) => {
    const c = await coupon(stripe, report);
    const code = await stripe.promotionCodes.create({ promotion: { type: 'coupon', coupon: c.id } });
    report(`Created promotion code ${code.id} (${code.code})`);
    await stripe.promotionCodes.update(code.id, { active: false });
    report(`Deactivated promotion code ${code.id}`);
  },
  'payment_method.attached': async (stripe, report) => {
    const c = await customer(stripe, report);
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    report(`Attached payment method ${pm.id} (visa ending ${pm.card?.last4}) to ${c.id}`);
  },
  'payment_method.detached': async (stripe, report) => {
    const c = await customer(stripe, report);
    const pm = await stripe.paymentMethods.attach('pm_card_visa', { customer: c.id });
    report(`Attached payment method ${pm.id} to ${c.id}`);
    await stripe.paymentMethods.detach(pm.id);
    report(`Detached payment method ${pm.id}`);
  },
  'customer.source.created': async (stripe, report) => {
    const c = await customer(stripe, report);
    const card = await stripe.customers.createSource(c.id, { source: 'tok_visa' });
    report(`Added card source ${card.id} to ${c.id}`);
  },
  'customer.source.updated': async (stripe, report) => {
    const c = await customer(stripe, report);
    const card = await stripe.customers.createSource(c.id, { source: 'tok_visa' });
    report(`Added card source ${card.id} to ${c.id}`);
    await stripe.customers.updateSource(c.id, card.id, { name: 'Portico Trigger' });
    report(`Renamed the holder of card source ${card.id}`);
  },
  'customer.source.deleted': async (stripe, report) => {
    const c = await customer(stripe, report);
    const card = await stripe.customers.createSource(c.id, { source: 'tok_visa' });
    report(`Added card source ${card.id} to ${c.id}`);
    await stripe.customers.deleteSource(c.id, card.id);
    report(`Deleted card source ${card.id}`);
  },
  'customer.tax_id.created': async (stripe, report) => {
    const c = await customer(stripe, report);
    const t = await stripe.customers.createTaxId(c.id, { type: 'eu_vat', value: 'DE123456789' });
    report(`Created tax ID ${t.id} (${t.type} ${t.value}) for ${c.id}`);
  },
  'customer.tax_id.deleted': async (stripe, report) => {
    const c = await customer(stripe, report);
    const t = await stripe.customers.createTaxId(c.id, { type: 'eu_vat', value: 'DE123456789' });
    report(`Created tax ID ${t.id} for ${c.id}`);
    await stripe.customers.deleteTaxId(c.id, t.id);
    report(`Deleted tax ID ${t.id}`);
  },
  'test_helpers.test_clock.created': async (stripe, report) => {
    await testClock(stripe, report);
  },
  'test_helpers.test_clock.advancing': async (stripe, report) => {
    const clock = await testClock(stripe, report);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: clock.frozen_time + 86_400 });
    report(`Advancing test clock ${clock.id} by one day`);
  },
  'test_helpers.test_clock.ready': async (stripe, report) => {
    const clock = await testClock(stripe, report);
    await stripe.testHelpers.testClocks.advance(clock.id, { frozen_time: clock.frozen_time + 86_400 });
    report(`Advancing test clock ${clock.id} by one day…`);
    // The billing clock finishes the advance in the background: wait (bounded) until it has.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const now = await stripe.testHelpers.testClocks.retrieve(clock.id);
      if (now.status === 'ready') break;
      if (Date.now() > deadline) {
        throw new Error(`test clock ${clock.id} is still ${now.status} after ${READY_TIMEOUT_MS / 1000} s: is a worker running?`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    report(`Test clock ${clock.id} is ready`);
  },
  'test_helpers.test_clock.deleted': async (stripe, report) => {
    const clock = await testClock(stripe, report);
    await stripe.testHelpers.testClocks.del(clock.id);
    report(`Deleted test clock ${clock.id}`);
  },
};

/** The event types `portico trigger` can cause, sorted. */
export const TRIGGER_EVENTS: readonly string[] = Object.keys(TRIGGERS).sort();

export class UnknownTriggerError extends Error {}

/**
 * Performs the change that emits `event`, reporting each step.
 * @example await trigger(stripe, 'customer.created', console.log)
 */
export async function trigger(stripe: Stripe, event: string, report: (line: string) => void): Promise<void> {
  const run = Object.hasOwn(TRIGGERS, event) ? TRIGGERS[event] : undefined;
  if (!run) throw new UnknownTriggerError(`Unknown event: ${event}`);
  await run(stripe, report);
}
