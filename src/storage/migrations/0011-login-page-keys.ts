/**
 * Login pages (issue 12, items 3 and 14):
 * - A login page's lookup row (`objects`, object `portal_login_link`) was `bplogin_<token>`: the token,
 *   a secret, stored as an id. It becomes `bplogin_<hex SHA-256 of the token>`, as sessions store only
 *   their token's hash; the URL itself does not change, so every login page keeps working.
 * - Each lookup row gets a `key` (random), and `portal_login_links.login_page_key` binds each emailed
 *   link to the key of the page that issued it. Links still pending get the key of their configuration's
 *   current page when they were sent after that page was enabled (the row's `created`); any other link
 *   came from an earlier page of that configuration and stays keyless, which opens nothing.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

const PREFIX = 'bplogin_';
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table portal_login_links add column login_page_key text`.execute(db);
  const pages = await db
    .selectFrom('objects')
    .select(['id', 'livemode', 'created', 'data'])
    .where('object', '=', 'portal_login_link')
    .execute();
  for (const page of pages) {
    const token = String(page.id).slice(PREFIX.length);
    if (!TOKEN.test(token)) continue; // already a hash
    const data = page.data as { configuration: string };
    const key = randomBytes(16).toString('base64url');
    const hashed = PREFIX + createHash('sha256').update(token, 'utf8').digest('hex');
    await db
      .updateTable('objects')
      .set({ id: hashed, data: JSON.stringify({ configuration: data.configuration, key }) })
      .where('id', '=', page.id)
      .where('livemode', '=', page.livemode)
      .execute();
    await db
      .updateTable('portal_login_links')
      .set({ login_page_key: key })
      .where('configuration', '=', data.configuration)
      .where('created', '>=', page.created)
      .where('used_at', 'is', null)
      .execute();
  }
}
