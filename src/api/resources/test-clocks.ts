/** `/v1/test_helpers/test_clocks`: create, retrieve, list, delete, advance (test mode only). */
import { listShape, p, parseParams } from '../../lib/params.ts';
import {
  advanceTestClock,
  createTestClock,
  deleteTestClock,
  getTestClock,
  listTestClocks,
} from '../../billing/test-clocks.ts';
import { pageEnvelope, pagination } from '../lists.ts';
import { pathParam, type Routes } from '../router.ts';

const BASE = '/v1/test_helpers/test_clocks';

export function registerTestClocks(r: Routes): void {
  r.post(BASE, (ctx, params) =>
    createTestClock(
      ctx,
      parseParams({ frozen_time: p.timestamp().req(), name: p.string({ max: 300 }), customer: p.string() }, params),
    ),
  );
  r.get(BASE, async (ctx, params, c) => {
    const q = parseParams(listShape, params);
    return pageEnvelope(c.req.path, await listTestClocks(ctx, pagination(q)));
  });
  r.get(`${BASE}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return getTestClock(ctx, pathParam(c, 'id'), 'test_clock');
  });
  r.delete(`${BASE}/:id`, (ctx, params, c) => {
    parseParams({}, params);
    return deleteTestClock(ctx, pathParam(c, 'id'));
  });
  r.post(`${BASE}/:id/advance`, (ctx, params, c) => {
    const q = parseParams({ frozen_time: p.timestamp().req() }, params);
    return advanceTestClock(ctx, pathParam(c, 'id'), q.frozen_time);
  });
}
