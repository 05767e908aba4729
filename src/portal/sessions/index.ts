/**
 * `POST /v1/billing_portal/sessions`: a short-lived portal link for one customer. The answer is the
 * only place the link's secret ever appears: the stored session and its `billing_portal.session.created`
 * event carry `url` with the session id in place of the token (it opens the expired-session page), so
 * neither the database nor a webhook log holds a working link. The same goes for the answer an
 * idempotency key keeps: it is stored with that placeholder, and a replay gives the session a fresh
 * token (while it is still unused), so a client that lost the first answer still gets a working link.
 */
import { errors } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import type { Ctx } from '../../storage/context.ts';
import type { Customer } from '../../billing/customers.ts';
import { emit } from '../../events/outbox.ts';
import { customerAndConfiguration } from '../configurations/index.ts';
import { buildFlow } from './flows.ts';
import type { PortalSession, SessionCreate } from './params.ts';
import { hashSecret, insertSessionStatement, newSecret, rotateToken } from './store.ts';

export { sessionCreateShape, PORTAL_LOCALES, type PortalSession, type PortalLocale, type PortalFlow } from './params.ts';

export const SESSION = 'billing_portal.session';

export function sessionUrl(token: string): string {
  return `${publicBaseUrl()}/p/session/${token}`;
}

export async function createPortalSession(ctx: Ctx, params: SessionCreate): Promise<PortalSession> {
  if (params.customer_account !== undefined) {
    throw errors.invalidParam(
      'customer_account',
      'customer_account (Accounts v2) is not supported by Portico: create the session with customer (a cus_ id).',
      'parameter_unsupported',
    );
  }
  if (params.customer === undefined) throw errors.missingParam('customer');
  const { customer, configuration: config } = await customerAndConfiguration<Customer>(ctx, params.customer, params.configuration);
  if (!config.active) {
    throw errors.invalidParam('configuration', `The configuration ${config.id} is inactive and cannot be used to create portal sessions.`);
  }
  const returnUrl = params.return_url ?? config.default_return_url;
  if (returnUrl === null) {
    throw errors.invalidRequest(
      `Missing required param: return_url. The configuration ${config.id} has no default_return_url, so the session needs one.`,
      'return_url',
      'parameter_missing',
    );
  }
  if (params.on_behalf_of !== undefined) {
    // Portico has no connected accounts, so no id can name one.
    throw errors.resourceMissing('account', params.on_behalf_of, 'on_behalf_of');
  }
  const now = ctx.clock.now();
  const login = params.after_expiration?.customer_login?.expires_at;
  if (login !== undefined && login <= now) {
    throw errors.invalidParam('after_expiration[customer_login][expires_at]', 'after_expiration[customer_login][expires_at] must be in the future.');
  }
  const flow = params.flow_data ? await buildFlow(ctx, params.flow_data, customer.id, config) : null;
  const token = newSecret();
  const session: PortalSession = {
    id: newId('billing_portal.session'),
    object: SESSION,
    after_expiration: params.after_expiration
      ? { customer_login: { expires_at: login ?? null }, type: 'customer_login' }
      : null,
    configuration: config.id,
    created: now,
    customer: customer.id,
    customer_account: null,
    flow,
    livemode: ctx.livemode,
    locale: params.locale ?? null,
    on_behalf_of: null,
    return_url: returnUrl,
    url: '',
  };
  // The session row is written in its event's statement: one round trip for both.
  const insert = insertSessionStatement(session, hashSecret(token));
  await emit(ctx, 'billing_portal.session.created', { ...session, url: sessionUrl(session.id) }, undefined, insert);
  return { ...session, url: sessionUrl(token) };
}

/** What an idempotency key stores for a created session: the answer without its secret. */
export function sessionForStorage(answer: Record<string, any>): Record<string, any> {
  return { ...answer, url: sessionUrl(answer.id as string) };
}

/**
 * A stored session answer made sendable again: a new token replaces the lost one while the session is
 * unused and unexpired (the old token stops working); otherwise the placeholder URL stands, which opens
 * the expired-session page.
 */
export async function replaySessionAnswer(ctx: Ctx, stored: Record<string, any>): Promise<Record<string, any>> {
  const token = newSecret();
  const rotated = await rotateToken(ctx.db, stored.id as string, hashSecret(token), ctx.clock.now());
  return rotated ? { ...stored, url: sessionUrl(token) } : stored;
}
