/** `/v1/billing_portal/configurations` (create, retrieve, update, list) and `/v1/billing_portal/sessions` (create). */
import { listShape, p, parseParams } from '../../lib/params.ts';
import {
  configurationCreateShape,
  configurationUpdateShape,
  createConfiguration,
  getConfiguration,
  listConfigurations,
  updateConfiguration,
} from '../../portal/configurations/index.ts';
import { createPortalSession, replaySessionAnswer, sessionCreateShape, sessionForStorage } from '../../portal/sessions/index.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('billing_portal.session', {
  fields: { configuration: { target: 'billing_portal.configuration' } },
  // `flow` is listed as expandable by Stripe although it is always an object: expanding it is a no-op.
  includes: { flow: async (_ctx, session) => session.flow },
});

const listConfigurationsShape = { ...listShape, active: p.boolean(), is_default: p.boolean() };

export function registerBillingPortal(r: Routes): void {
  r.post('/v1/billing_portal/configurations', (ctx, params) =>
    createConfiguration(ctx, parseParams(configurationCreateShape, params)),
  );
  r.get('/v1/billing_portal/configurations', async (ctx, params, c) => {
    const q = parseParams(listConfigurationsShape, params);
    return pageEnvelope(c.req.path, await listConfigurations(ctx, q, pagination(q)));
  });
  r.get('/v1/billing_portal/configurations/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getConfiguration(ctx, pathParam(c, 'id'), 'configuration');
  });
  r.post('/v1/billing_portal/configurations/:id', (ctx, params, c) =>
    updateConfiguration(ctx, pathParam(c, 'id'), parseParams(configurationUpdateShape, params)),
  );
  r.post('/v1/billing_portal/sessions', (ctx, params) => createPortalSession(ctx, parseParams(sessionCreateShape, params)), {
    storeAs: sessionForStorage,
    onReplay: replaySessionAnswer,
    // Through a unit of work: the session row, its event and the idempotency row go in one statement.
  }, { unitOfWork: true });
}
