/**
 * `billing.feedback_option` (API 2026-10-28.endive): a business's own cancellation reason, which the
 * portal offers beside Stripe's fixed ones when a configuration names it in
 * `features[subscription_cancel][cancellation_reason][feedback_options]`. A customer's choice is kept
 * in the subscription's `cancellation_details.feedback_option`.
 *
 * Invariants: `description` is 1–100 characters; only the description changes after creation;
 * deactivation is final (`status: inactive`, `status_transitions.deactivated_at`), and an inactive
 * option can no longer be added to a configuration (configurations that name it stop showing it).
 * Stripe sends no event for these objects, and neither does Portico.
 */
import { errors } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { p, type InferShape } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import { findObjectsByIds, getObject, insertObject, listObjects, updateObject, whereData, type ListOptions } from '../storage/objects.ts';

export interface FeedbackOption {
  id: string;
  object: 'billing.feedback_option';
  description: string;
  livemode: boolean;
  status: 'active' | 'inactive';
  status_transitions: { deactivated_at: number | null };
}

const OBJECT = 'billing.feedback_option';
const NOUN = 'billing feedback option';

export const feedbackOptionCreateShape = { description: p.string({ max: 100 }).req() };
export const feedbackOptionUpdateShape = { description: p.string({ max: 100 }) };
export type FeedbackOptionCreate = InferShape<typeof feedbackOptionCreateShape>;
export type FeedbackOptionUpdate = InferShape<typeof feedbackOptionUpdateShape>;

function checkDescription(d: string, param = 'description'): string {
  if (d.trim() === '') throw errors.invalidParam(param, 'The description of a feedback option cannot be blank.');
  return d;
}

export async function createFeedbackOption(ctx: Ctx, params: FeedbackOptionCreate): Promise<FeedbackOption> {
  const option: FeedbackOption = {
    id: newId(OBJECT),
    object: OBJECT,
    description: checkDescription(params.description),
    livemode: ctx.livemode,
    status: 'active',
    status_transitions: { deactivated_at: null },
  };
  await insertObject(ctx, { id: option.id, object: OBJECT, created: ctx.clock.now(), data: option });
  return option;
}

export async function getFeedbackOption(ctx: Ctx, id: string, param = 'id', forUpdate = false): Promise<FeedbackOption> {
  return (await getObject<FeedbackOption>(ctx, OBJECT, NOUN, id, { param, forUpdate })).data;
}

export async function updateFeedbackOption(ctx: Ctx, id: string, params: FeedbackOptionUpdate): Promise<FeedbackOption> {
  const before = await getFeedbackOption(ctx, id, 'id', true);
  if (params.description === undefined) return before;
  const after: FeedbackOption = { ...before, description: checkDescription(params.description) };
  await updateObject(ctx, id, { data: after });
  return after;
}

export async function deactivateFeedbackOption(ctx: Ctx, id: string): Promise<FeedbackOption> {
  const before = await getFeedbackOption(ctx, id, 'id', true);
  if (before.status === 'inactive') return before;
  const after: FeedbackOption = { ...before, status: 'inactive', status_transitions: { deactivated_at: ctx.clock.now() } };
  await updateObject(ctx, id, { data: after });
  return after;
}

export async function listFeedbackOptions(ctx: Ctx, filters: { status?: 'active' | 'inactive' }, page: ListOptions) {
  return listObjects<FeedbackOption>(ctx, OBJECT, {
    ...page,
    where: (q) => (filters.status === undefined ? q : whereData(q, 'status', filters.status)),
  });
}

/** Refuses any id that is not an active feedback option of this mode (404 or 400 naming `param(i)`). */
export async function assertActiveFeedbackOptions(ctx: Ctx, ids: string[], param: (i: number) => string): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const option = await getFeedbackOption(ctx, id, param(i));
    if (option.status !== 'active') throw errors.invalidParam(param(i), `The feedback option ${id} is inactive and cannot be used in a portal configuration.`);
  }
}

/** The active options among `ids`, in that order (what the portal offers). */
export async function activeFeedbackOptions(ctx: Ctx, ids: string[]): Promise<FeedbackOption[]> {
  if (ids.length === 0) return [];
  const rows = await findObjectsByIds(ctx, ids);
  const byId = new Map(rows.filter((r) => r.object === OBJECT).map((r) => [r.id, r.data as FeedbackOption]));
  return ids.map((id) => byId.get(id)).filter((o): o is FeedbackOption => o !== undefined && o.status === 'active');
}
