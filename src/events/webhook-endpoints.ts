/**
 * Webhook endpoints: where events of a mode are delivered. The signing secret (`whsec_…`) is shown
 * only in the create response, as on Stripe; it is kept in the row's private part. Disabling or
 * deleting an endpoint stops every delivery to it that has not happened yet.
 */
import { errors } from '../lib/errors.ts';
import { newId, randomBase62 } from '../lib/ids.ts';
import { mergeMetadata, p, type InferShape } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { getObject, insertObject, listObjects, updateObject, type ListOptions } from '../storage/objects.ts';
import { endpointsTaking } from '../storage/endpoints.ts';
import { endpointsChanged } from './endpoint-cache.ts';
import { EVENT_TYPES } from './event-types.ts';

export interface WebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  api_version: string | null;
  application: null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: boolean;
  metadata: Record<string, string>;
  secret?: string;
  status: 'enabled' | 'disabled';
  url: string;
}

export const ENDPOINT_OBJECT = 'webhook_endpoint';
const OBJECT = ENDPOINT_OBJECT;
const NOUN = 'webhook endpoint';

const eventsParam = p.array(p.string({ max: 200 }), { max: 300 });
const versionParam = p.string({ max: 40, pattern: /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/, patternMessage: 'Invalid api_version.' });

export const endpointCreateShape = {
  url: p.string({ max: 5000 }).req(),
  enabled_events: eventsParam.req(),
  api_version: versionParam,
  connect: p.boolean(),
  description: p.emptyable(p.string({ max: 5000 })),
  metadata: p.metadata(),
};
export const endpointUpdateShape = {
  url: p.string({ max: 5000 }),
  enabled_events: eventsParam,
  description: p.emptyable(p.string({ max: 5000 })),
  disabled: p.boolean(),
  metadata: p.metadata(),
};

function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw errors.invalidParam('url', `Invalid URL: ${url.slice(0, 100)}. URLs must be absolute http or https URLs.`, 'url_invalid');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw errors.invalidParam('url', `Invalid URL: ${url.slice(0, 100)}. URLs must be absolute http or https URLs.`, 'url_invalid');
  }
  return url;
}

function checkEvents(events: string[]): string[] {
  if (events.length === 0) throw errors.invalidParam('enabled_events', 'enabled_events must name at least one event type.');
  events.forEach((e, i) => {
    if (e !== '*' && !EVENT_TYPES.has(e)) {
      throw errors.invalidParam(`enabled_events[${i}]`, `Invalid enabled_events[${i}]: ${e.slice(0, 100)} is not a known event type.`);
    }
  });
  return [...new Set(events)];
}

export async function createEndpoint(ctx: Ctx, params: InferShape<typeof endpointCreateShape>): Promise<WebhookEndpoint> {
  if (params.connect) throw errors.unsupportedParam('connect', 'Portico has no Connect accounts, so no Connect webhook endpoints.');
  const created = ctx.clock.now();
  const secret = `whsec_${randomBase62(32)}`;
  const endpoint: WebhookEndpoint = {
    id: newId('webhook_endpoint'),
    object: OBJECT,
    api_version: params.api_version ?? null,
    application: null,
    created,
    description: params.description ?? null,
    enabled_events: checkEvents(params.enabled_events),
    livemode: ctx.livemode,
    metadata: mergeMetadata({}, params.metadata),
    status: 'enabled',
    url: checkUrl(params.url),
  };
  await insertObject(ctx, { id: endpoint.id, object: OBJECT, created, data: endpoint, private: { secret } });
  await endpointsChanged(ctx);
  forgetEndpoints(ctx);
  return { ...endpoint, secret };
}

export async function getEndpoint(ctx: Ctx, id: string): Promise<WebhookEndpoint> {
  return (await getObject<WebhookEndpoint>(ctx, OBJECT, NOUN, id)).data;
}

/** Stops deliveries not yet made to an endpoint (it was disabled or deleted). */
async function cancelPendingDeliveries(ctx: Ctx, endpointId: string): Promise<void> {
  await ctx.db
    .updateTable('webhook_deliveries')
    .set({ status: 'canceled' })
    .where('endpoint_id', '=', endpointId)
    .where('status', '=', 'pending')
    .execute();
}

export async function updateEndpoint(
  ctx: Ctx,
  id: string,
  params: InferShape<typeof endpointUpdateShape>,
): Promise<WebhookEndpoint> {
  const before = (await getObject<WebhookEndpoint>(ctx, OBJECT, NOUN, id, { forUpdate: true })).data;
  const after: WebhookEndpoint = {
    ...before,
    ...(params.url !== undefined ? { url: checkUrl(params.url) } : {}),
    ...(params.enabled_events !== undefined ? { enabled_events: checkEvents(params.enabled_events) } : {}),
    ...(params.description !== undefined ? { description: params.description } : {}),
    ...(params.disabled !== undefined ? { status: params.disabled ? 'disabled' : 'enabled' } : {}),
    metadata: mergeMetadata(before.metadata, params.metadata),
  };
  await updateObject(ctx, id, { data: after });
  await endpointsChanged(ctx);
  forgetEndpoints(ctx);
  if (after.status === 'disabled') await cancelPendingDeliveries(ctx, id);
  return after;
}

export async function deleteEndpoint(ctx: Ctx, id: string): Promise<{ id: string; object: typeof OBJECT; deleted: true }> {
  await getObject<WebhookEndpoint>(ctx, OBJECT, NOUN, id, { forUpdate: true });
  await updateObject(ctx, id, { deleted: true });
  await endpointsChanged(ctx);
  forgetEndpoints(ctx);
  await cancelPendingDeliveries(ctx, id);
  return { id, object: OBJECT, deleted: true };
}

export async function listEndpoints(ctx: Ctx, page: ListOptions) {
  return listObjects<WebhookEndpoint>(ctx, OBJECT, page);
}

/** The enabled endpoints of the context's mode that subscribe to `type`. */
export async function endpointsFor(ctx: Ctx, type: string): Promise<string[]> {
  const enabled = await enabledEndpoints(ctx);
  return endpointsTaking(enabled, type);
}

/**
 * The mode's enabled endpoints, read once per transaction: a transaction that emits several events
 * (a renewal emits five) asks the database once. Only the transaction itself could change them
 * meanwhile, and the functions above that do so forget the cached list. Outside a transaction every
 * call reads afresh.
 */
const perTransaction = new WeakMap<object, Map<boolean, WebhookEndpoint[]>>();

async function enabledEndpoints(ctx: Ctx): Promise<WebhookEndpoint[]> {
  const cache = ctx.db.isTransaction ? perTransaction.get(ctx.db) : undefined;
  const cached = cache?.get(ctx.livemode);
  if (cached) return cached;
  const rows = await ctx.db
    .selectFrom('objects')
    .select(['data'])
    .where('livemode', '=', ctx.livemode)
    .where('object', '=', OBJECT)
    .where('deleted', '=', false)
    .execute();
  const enabled = rows.map((r) => r.data as WebhookEndpoint).filter((e) => e.status === 'enabled');
  if (ctx.db.isTransaction) {
    const map = perTransaction.get(ctx.db) ?? new Map<boolean, WebhookEndpoint[]>();
    map.set(ctx.livemode, enabled);
    perTransaction.set(ctx.db, map);
  }
  return enabled;
}

function forgetEndpoints(ctx: Ctx): void {
  perTransaction.delete(ctx.db);
}
