/** `/v1/events` (retrieve, list) and `/v1/webhook_endpoints` (create, retrieve, update, list, delete). */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import { listEvents, retrieveEvent } from '../../events/events.ts';
import {
  createEndpoint,
  deleteEndpoint,
  endpointCreateShape,
  endpointUpdateShape,
  getEndpoint,
  listEndpoints,
  updateEndpoint,
} from '../../events/webhook-endpoints.ts';
import { listEnvelope, pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

const listEventsShape = {
  ...listShape,
  type: p.string({ max: 5000 }),
  types: p.array(p.string({ max: 5000 }), { max: 20 }),
  created: rangeFilter(),
  delivery_success: p.boolean(),
};

export function registerEvents(r: Routes): void {
  r.get('/v1/events', async (ctx, params, c) => {
    const q = parseParams(listEventsShape, params);
    const page = await listEvents(ctx, q, pagination(q));
    return listEnvelope(c.req.path, page.data, page.has_more);
  });
  r.get('/v1/events/:id', (ctx, params, c) => {
    parseParams({}, params);
    return retrieveEvent(ctx, pathParam(c, 'id'));
  });

  r.post('/v1/webhook_endpoints', (ctx, params) => createEndpoint(ctx, parseParams(endpointCreateShape, params)));
  r.get('/v1/webhook_endpoints', async (ctx, params, c) => {
    const q = parseParams(listShape, params);
    return pageEnvelope(c.req.path, await listEndpoints(ctx, pagination(q)));
  });
  r.get('/v1/webhook_endpoints/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getEndpoint(ctx, pathParam(c, 'id'));
  }, { object: 'webhook_endpoint' });
  r.post('/v1/webhook_endpoints/:id', (ctx, params, c) =>
    updateEndpoint(ctx, pathParam(c, 'id'), parseParams(endpointUpdateShape, params)),
  );
  r.delete('/v1/webhook_endpoints/:id', (ctx, params, c) => {
    parseParams({}, params);
    return deleteEndpoint(ctx, pathParam(c, 'id'));
  });
}
