/**
 * A portal session's flow, once completed: `portal_sessions.flow_completed_at` (unix seconds, null
 * while the flow is still to be done). A session with a flow lands on the flow's one action until then,
 * and on the portal home (with its navigation) after, as Stripe's `after_completion=portal_homepage`.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table portal_sessions add column flow_completed_at bigint`.execute(db);
}
