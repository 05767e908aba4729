/**
 * The portal's test 3-D Secure challenges. When the test processor answers `requires_action` (adding
 * a card that asks for authentication, or paying an invoice with one), the portal records a challenge
 * bound to the session and sends the customer to the test challenge page; completing it finishes what
 * was started (attach the card; charge the invoice, authenticated), failing it ends it (the card is
 * not attached; the invoice stays open). Each challenge resolves once: the row is locked and its
 * status moves from `pending` exactly once. Only ids are kept: never card details.
 */
import { randomBase62 } from '../lib/ids.ts';
import { ApiError } from '../lib/errors.ts';
import type { Ctx } from '../storage/context.ts';
import { attemptInvoicePayment } from '../billing/invoices/pay.ts';
import { atClockTime } from '../billing/invoices/store.ts';
import { findObject } from '../storage/objects.ts';
import type { Invoice } from '../billing/invoices/types.ts';
import { attachNewCard } from './payment-methods.ts';

export type AuthenticationKind = 'setup' | 'invoice';
export type AuthenticationStatus = 'pending' | 'succeeded' | 'failed' | 'declined';

export interface PortalAuthentication {
  id: string;
  sessionId: string;
  kind: AuthenticationKind;
  paymentMethod: string;
  invoice: string | null;
  status: AuthenticationStatus;
  /** For a setup: make the card the default once attached. */
  makeDefault: boolean;
  /** The portal path to go back to once resolved (a fixed path chosen by the server, never a query). */
  returnTo: string;
  /**
   * For an invoice of a plan change held as a pending update: its subscription (paying the invoice
   * applies the update; the page then answers as the change's own confirmation does).
   */
  subscription: string | null;
}

/** An id the URL carries: 24 base62 characters (~143 bits), useless without the session's cookie. */
const ID_PATTERN = /^pa_[A-Za-z0-9]{24}$/;

export async function createAuthentication(
  ctx: Ctx,
  a: Omit<PortalAuthentication, 'id' | 'status' | 'subscription'> & { subscription?: string | null },
): Promise<PortalAuthentication> {
  const id = `pa_${randomBase62(24)}`;
  await ctx.db
    .insertInto('portal_authentications')
    .values({
      id,
      session_id: a.sessionId,
      livemode: ctx.livemode,
      kind: a.kind,
      payment_method: a.paymentMethod,
      invoice: a.invoice,
      status: 'pending',
      created: ctx.clock.now(),
      data: JSON.stringify({ makeDefault: a.makeDefault, returnTo: a.returnTo, subscription: a.subscription ?? null }),
    })
    .execute();
  return { ...a, id, status: 'pending', subscription: a.subscription ?? null };
}

/** The session's challenge with this id (another session's or mode's is not found). */
export async function findAuthentication(ctx: Ctx, sessionId: string, id: string, forUpdate = false): Promise<PortalAuthentication | null> {
  if (!ID_PATTERN.test(id)) return null;
  let q = ctx.db
    .selectFrom('portal_authentications')
    .selectAll()
    .where('id', '=', id)
    .where('session_id', '=', sessionId)
    .where('livemode', '=', ctx.livemode);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) return null;
  const data = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as { makeDefault?: boolean; returnTo?: string; subscription?: string | null };
  return {
    id: row.id,
    sessionId: row.session_id,
    kind: row.kind as AuthenticationKind,
    paymentMethod: row.payment_method,
    invoice: row.invoice,
    status: row.status as AuthenticationStatus,
    makeDefault: data.makeDefault === true,
    returnTo: data.returnTo ?? '/p/home',
    subscription: data.subscription ?? null,
  };
}

export type Resolution =
  | { outcome: 'succeeded' | 'failed' | 'already_resolved' }
  | { outcome: 'declined'; code: string; message: string };

async function setStatus(ctx: Ctx, id: string, status: AuthenticationStatus): Promise<void> {
  await ctx.db.updateTable('portal_authentications').set({ status }).where('id', '=', id).execute();
}

/**
 * Resolves a pending challenge as the customer chose on the test page; call inside one transaction.
 * `customer` is the session's customer: the challenge's objects must still be theirs.
 */
export async function resolveAuthentication(
  ctx: Ctx,
  a: PortalAuthentication,
  customer: string,
  choice: 'complete' | 'fail',
): Promise<Resolution> {
  const locked = await findAuthentication(ctx, a.sessionId, a.id, true);
  if (!locked || locked.status !== 'pending') return { outcome: 'already_resolved' };
  if (choice === 'fail') {
    await setStatus(ctx, a.id, 'failed');
    return { outcome: 'failed' };
  }
  if (locked.kind === 'setup') {
    try {
      await attachNewCard(ctx, customer, locked.paymentMethod, locked.makeDefault);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 402) throw err;
      await setStatus(ctx, a.id, 'declined');
      return { outcome: 'declined', code: String(err.body.code ?? 'card_declined'), message: err.body.message };
    }
    await setStatus(ctx, a.id, 'succeeded');
    return { outcome: 'succeeded' };
  }
  const row = locked.invoice ? await findObject<Invoice>(ctx, 'invoice', locked.invoice) : undefined;
  if (!row || row.data.customer !== customer) {
    await setStatus(ctx, a.id, 'failed');
    return { outcome: 'failed' };
  }
  if (row.data.status !== 'open') {
    // Paid meanwhile (another tab): nothing to charge.
    await setStatus(ctx, a.id, row.data.status === 'paid' ? 'succeeded' : 'failed');
    return { outcome: row.data.status === 'paid' ? 'already_resolved' : 'failed' };
  }
  const clocked = await atClockTime(ctx, row.data.test_clock);
  const { payment } = await attemptInvoicePayment(clocked, row.id, {
    paymentMethod: locked.paymentMethod,
    offSession: false,
    authenticated: true,
  });
  if (payment.outcome === 'succeeded' || payment.outcome === 'nothing_due') {
    await setStatus(ctx, a.id, 'succeeded');
    return { outcome: 'succeeded' };
  }
  await setStatus(ctx, a.id, 'declined');
  return payment.outcome === 'declined'
    ? { outcome: 'declined', code: payment.code, message: payment.message }
    : { outcome: 'failed' };
}
