/** `/v1/billing/feedback_options`: create, retrieve, update, list (by status), deactivate. */
import { listShape, p, parseParams } from '../../lib/params.ts';
import {
  createFeedbackOption,
  deactivateFeedbackOption,
  feedbackOptionCreateShape,
  feedbackOptionUpdateShape,
  getFeedbackOption,
  listFeedbackOptions,
  updateFeedbackOption,
} from '../../billing/feedback-options.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

const BASE = '/v1/billing/feedback_options';

export function registerFeedbackOptions(r: Routes): void {
  r.post(BASE, (ctx, params) => createFeedbackOption(ctx, parseParams(feedbackOptionCreateShape, params)));
  r.get(BASE, async (ctx, params, c) => {
    const q = parseParams({ ...listShape, status: p.enumOf(['active', 'inactive']) }, params);
    return pageEnvelope(c.req.path, await listFeedbackOptions(ctx, q.status === undefined ? {} : { status: q.status }, pagination(q)));
  });
  r.get(`${BASE}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return getFeedbackOption(ctx, pathParam(c, 'id'));
  });
  r.post(`${BASE}/:id`, (ctx, params, c) => updateFeedbackOption(ctx, pathParam(c, 'id'), parseParams(feedbackOptionUpdateShape, params)));
  r.post(`${BASE}/:id/deactivate`, (ctx, params, c) => {
    parseParams({}, params);
    return deactivateFeedbackOption(ctx, pathParam(c, 'id'));
  });
}
