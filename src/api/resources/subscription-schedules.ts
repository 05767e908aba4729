/**
 * `/v1/subscription_schedules`: create, retrieve, update, list, `cancel` and `release`. Requests about
 * a customer on a test clock run at that clock's time (done by the domain functions).
 */
import { listShape, p, parseParams, rangeFilter } from '../../lib/params.ts';
import {
  cancelSchedule,
  createSchedule,
  getSchedule,
  listSchedules,
  releaseSchedule,
  scheduleCancelShape,
  scheduleCreateShape,
  scheduleReleaseShape,
  scheduleUpdateShape,
  updateSchedule,
} from '../../billing/subscription-schedules/index.ts';
import { defineExpansions } from '../expand.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

defineExpansions('subscription_schedule', {
  fields: {
    customer: { target: 'customer' },
    subscription: { target: 'subscription' },
    test_clock: { target: 'test_helpers.test_clock' },
  },
});

const listSchedulesShape = {
  ...listShape,
  customer: p.string(),
  scheduled: p.boolean(),
  created: rangeFilter(),
  canceled_at: rangeFilter(),
  completed_at: rangeFilter(),
  released_at: rangeFilter(),
};

export function registerSubscriptionSchedules(r: Routes): void {
  r.post('/v1/subscription_schedules', (ctx, params) => createSchedule(ctx, parseParams(scheduleCreateShape, params)));
  r.get('/v1/subscription_schedules', async (ctx, params, c) => {
    const q = parseParams(listSchedulesShape, params);
    const page = await listSchedules(ctx, q, pagination(q));
    return pageEnvelope(c.req.path, page);
  });
  r.get('/v1/subscription_schedules/:id', (ctx, params, c) => {
    parseParams({}, params);
    return getSchedule(ctx, pathParam(c, 'id'));
  });
  r.post('/v1/subscription_schedules/:id', (ctx, params, c) =>
    updateSchedule(ctx, pathParam(c, 'id'), parseParams(scheduleUpdateShape, params)),
  );
  r.post('/v1/subscription_schedules/:id/cancel', (ctx, params, c) =>
    cancelSchedule(ctx, pathParam(c, 'id'), parseParams(scheduleCancelShape, params)),
  );
  r.post('/v1/subscription_schedules/:id/release', (ctx, params, c) => {
    parseParams(scheduleReleaseShape, params);
    return releaseSchedule(ctx, pathParam(c, 'id'));
  });
}
