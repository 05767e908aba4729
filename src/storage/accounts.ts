/**
 * The account: one per installation, created on first start, holding the test and live keys. Keys
 * given in the environment replace the stored ones, so a deployment can pin them.
 */
import { newId, randomBase62 } from '../lib/ids.ts';
import { sql } from 'kysely';
import { notify } from './channels.ts';
import type { Db, Executor } from './database.ts';
import type { AccountsTable } from './schema.ts';

/** The account's id and keys as the HTTP surfaces (API, pages) need them. */
export interface AccountKeys {
  accountId: string;
  testSecretKey: string;
  liveSecretKey: string;
  testPublishableKey: string;
  livePublishableKey: string;
}

export interface AccountSetup {
  account: AccountsTable;
  /** True when this call created the account (first start). */
  created: boolean;
}

export async function ensureAccount(
  db: Db,
  now: number,
  pinned: { testSecretKey: string | null; liveSecretKey: string | null },
): Promise<AccountSetup> {
  return db.transaction().execute(async (tx) => {
    let account = await tx.selectFrom('accounts').selectAll().forUpdate().executeTakeFirst();
    let created = false;
    if (!account) {
      account = {
        id: newId('account'),
        created: now,
        test_secret_key: `sk_test_${randomBase62(40)}`,
        live_secret_key: `sk_live_${randomBase62(40)}`,
        test_publishable_key: `pk_test_${randomBase62(40)}`,
        live_publishable_key: `pk_live_${randomBase62(40)}`,
      };
      // Concurrent first starts on one PostgreSQL database: only one account wins.
      const inserted = await tx.insertInto('accounts').values(account).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      created = Number(inserted.numInsertedOrUpdatedRows) === 1;
      if (!created) account = await tx.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
    }
    const changes: Partial<AccountsTable> = {};
    if (pinned.testSecretKey && pinned.testSecretKey !== account.test_secret_key) changes.test_secret_key = pinned.testSecretKey;
    if (pinned.liveSecretKey && pinned.liveSecretKey !== account.live_secret_key) changes.live_secret_key = pinned.liveSecretKey;
    if (Object.keys(changes).length > 0) {
      await tx.updateTable('accounts').set(changes).where('id', '=', account.id).execute();
      account = { ...account, ...changes };
    }
    return { account, created };
  });
}

/** NOTIFY channel that tells every process sharing the schema to reload the account's keys. */
export const KEYS_CHANNEL = 'portico_keys';

/** The account's keys as stored now. */
export async function loadAccountKeys(db: Db): Promise<AccountKeys> {
  const a = await db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
  return {
    accountId: a.id,
    testSecretKey: a.test_secret_key,
    liveSecretKey: a.live_secret_key,
    testPublishableKey: a.test_publishable_key,
    livePublishableKey: a.live_publishable_key,
  };
}

/**
 * Replaces a mode's secret key with a new random one and notifies every process (committed with the
 * change, so listeners reload after it is visible). Returns the new key.
 */
export async function rollSecretKey(db: Executor, livemode: boolean): Promise<string> {
  const key = `${livemode ? 'sk_live_' : 'sk_test_'}${randomBase62(40)}`;
  await db
    .updateTable('accounts')
    .set(livemode ? { live_secret_key: key } : { test_secret_key: key })
    .execute();
  await sql`select ${notify(KEYS_CHANNEL)}`.execute(db);
  return key;
}
