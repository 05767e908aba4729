/**
 * LISTEN/NOTIFY scoped to the schema (channels.ts): a NOTIFY wakes the listeners of its own schema on
 * both databases, and on PostgreSQL never those of another schema of the same database, even when the
 * two schemas' names take the whole 63 bytes and differ only in their last byte.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import { openPostgresSchema, storageCases } from '../../test/support/storages.ts';
import { channelNameQuery, notify } from './channels.ts';
import type { Storage } from './database.ts';

const PG_URL = process.env.DATABASE_URL;
const NEEDS_PG = PG_URL ? false : 'needs DATABASE_URL (two schemas of one PostgreSQL database; CI sets it)';
const CHANNEL = 'portico_channel_test';

/** Counts `storage`'s wake-ups on CHANNEL; `reached(n)` resolves once there were at least n. */
async function wakeUps(storage: Storage) {
  let count = 0;
  const stop = await storage.listen(CHANNEL, () => count++);
  return {
    get count() {
      return count;
    },
    async reached(n: number): Promise<void> {
      // The listener hears a commit on its own connection: give it a moment on a busy machine.
      const deadline = Date.now() + 10_000;
      while (count < n) {
        if (Date.now() > deadline) throw new Error(`${count} wake-ups after 10 s, expected ${n}`);
        await delay(10);
      }
    },
    stop,
  };
}

const notifyIn = (storage: Storage) => sql`select ${notify(CHANNEL)}`.execute(storage.db);

for (const c of storageCases()) {
  describe(`channels on ${c.name}`, () => {
    let storage: Storage;
    before(async () => {
      storage = await c.open();
    });
    after(async () => {
      await storage?.close();
    });

    test("a NOTIFY wakes its own schema's listener, sent alone or in a transaction", async () => {
      const listener = await wakeUps(storage);
      try {
        const base = listener.count;
        await notifyIn(storage);
        await listener.reached(base + 1);
        await storage.db.transaction().execute(async (tx) => {
          await sql`select ${notify(CHANNEL)}`.execute(tx);
        });
        await listener.reached(base + 2);
      } finally {
        await listener.stop();
      }
    });
  });
}

describe('channels of two schemas in one PostgreSQL database', { skip: NEEDS_PG }, () => {
  const tag = randomBytes(6).toString('hex');
  // 63 bytes each (PostgreSQL's limit), the same but for the last: 15 + 23 × 2 ('é') + 2.
  const long = (last: string) => `t_${tag}_${'é'.repeat(23)}x${last}`;
  for (const [label, names] of [
    ['short names', [undefined, undefined]],
    ['63-byte names that differ only in their last byte', [long('a'), long('b')]],
  ] as const) {
    describe(label, () => {
      let one: Storage;
      let two: Storage;
      before(async () => {
        one = await openPostgresSchema(PG_URL!, 2, names[0]);
        two = await openPostgresSchema(PG_URL!, 2, names[1]);
      });
      after(async () => {
        await one?.close();
        await two?.close();
      });

      test('each schema names the channel apart, within 63 bytes', async () => {
        const { rows: [a] } = await channelNameQuery(CHANNEL).execute(one.db);
        const { rows: [b] } = await channelNameQuery(CHANNEL).execute(two.db);
        assert.match(a!.name, new RegExp(`^${CHANNEL}_[0-9a-f]{32}$`));
        assert.match(b!.name, new RegExp(`^${CHANNEL}_[0-9a-f]{32}$`));
        assert.notEqual(a!.name, b!.name);
        assert.throws(() => notify('p'.repeat(31)), /channel purpose/, 'a purpose that would not leave room for the hash');
      });

      test("a NOTIFY in one schema wakes its own listener, not the other schema's", async () => {
        const first = await wakeUps(one);
        const second = await wakeUps(two);
        try {
          const [base1, base2] = [first.count, second.count];
          // A commit signals every listener of its channel at once: had the schemas shared the channel,
          // the other listener would have heard it by the time this one has (and before its own next).
          await notifyIn(one);
          await first.reached(base1 + 1);
          const heard2 = second.count;
          await notifyIn(two);
          await second.reached(heard2 + 1);
          assert.equal(second.count, base2 + 1, "the other schema's NOTIFY woke this listener");
          const heard1 = first.count;
          await notifyIn(one);
          await first.reached(heard1 + 1);
          assert.equal(first.count, base1 + 2, "the other schema's NOTIFY woke this listener");
        } finally {
          await first.stop();
          await second.stop();
        }
      });
    });
  }
});
