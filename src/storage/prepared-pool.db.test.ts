/**
 * Named prepared statements on PostgreSQL (prepared-pool.ts): they are used, and they survive what
 * breaks them: the server dropping every connection (as a restart does) and another process migrating
 * a table under them, inside and outside transactions and through the API. PostgreSQL only (PGlite has
 * no prepared statements to keep): these tests run when DATABASE_URL is set, as CI does.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { sql } from 'kysely';
import { startTestServer, type TestServer } from '../../test/support/server.ts';
import { openStorage, type Storage } from './database.ts';
import { isStalePlanError } from './prepared-pool.ts';

const url = process.env.DATABASE_URL;

if (url) {
  describe('prepared statements (postgres)', () => {
    const schema = `t_prep_${randomBytes(5).toString('hex')}`;
    const appName = `portico_prep_${randomBytes(4).toString('hex')}`;
    let admin: pg.Client;
    let storage: Storage;
    let server: TestServer;

    before(async () => {
      admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create schema ${schema}`);
      const u = new URL(url);
      u.searchParams.set('options', `-c search_path=${schema}`);
      u.searchParams.set('application_name', appName);
      // One connection, so every statement below runs on the connection whose statements we inspect.
      storage = await openStorage({ kind: 'postgres', url: u.toString(), poolSize: 1 });
      server = await startTestServer({ storage });
    });

    after(async () => {
      await server.close();
      await storage.close();
      // Every connection is gone, the listeners' too, though the tests below made them reconnect: a
      // stray one would keep this process running (pg reports a dropped connection twice).
      const left = async () =>
        (await admin.query(`select count(*)::int as n from pg_stat_activity where application_name = $1`, [appName])).rows[0].n as number;
      const deadline = Date.now() + 5_000; // a backend leaves the view a moment after its socket closes
      while ((await left()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await left(), 0);
      await admin.query(`drop schema ${schema} cascade`);
      await admin.end();
    });

    const byId = (id: string) =>
      storage.db.selectFrom('objects').selectAll().where('livemode', '=', false).where('id', '=', id).executeTakeFirst();

    const prepared = async () =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(storage.db)).rows.map((r) => r.statement);

    /** Drops every connection of the storage's pool on the server side, as a restart would. */
    async function dropConnections(): Promise<void> {
      const { rowCount } = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`,
        [appName],
      );
      assert.ok((rowCount ?? 0) >= 1);
      // The pool notices its idle connection died (an 'error' event) and forgets it.
      const deadline = Date.now() + 10_000;
      while (storage.pool!.totalCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(storage.pool!.totalCount, 0);
    }

    test('data statements are prepared once per connection and reused', async () => {
      const customer = await server.stripe.customers.create({ email: 'a@example.com' });
      assert.equal((await byId(customer.id))?.id, customer.id);
      const statements = await prepared();
      const select = statements.filter((s) => s.includes('from "objects"') && s.includes('"id" = $2'));
      assert.ok(select.length >= 1, `the select is prepared: ${statements.join('\n')}`);
      // Running it again prepares nothing new.
      await byId(customer.id);
      assert.equal((await prepared()).length, statements.length + 0);
    });

    test('after the server drops every connection, statements are prepared anew and answer', async () => {
      const customer = await server.stripe.customers.create({ email: 'restart@example.com' });
      await byId(customer.id);
      await dropConnections();
      assert.equal((await byId(customer.id))?.id, customer.id);
      assert.equal((await server.stripe.customers.retrieve(customer.id)).id, customer.id);
      const updated = await server.stripe.customers.update(customer.id, { name: 'After restart' });
      assert.equal(updated.name, 'After restart');
    });

    test('a migration that changes the columns of a prepared select * does not fail a read or a write', async () => {
      const customer = await server.stripe.customers.create({ email: 'migrate@example.com' });
      // Prepare the statements a read, a write and an update use, on the pool's one connection.
      await byId(customer.id);
      await server.stripe.customers.retrieve(customer.id);
      await server.stripe.customers.update(customer.id, { name: 'Before' });

      // Another process migrates: the row type of `objects` changes under the prepared `select *`.
      await admin.query(`alter table ${schema}.objects add column prep_test_a integer`);
      // Outside a transaction: retried on a fresh plan, invisibly.
      assert.equal((await byId(customer.id))?.id, customer.id);

      const lockRow = () =>
        storage.db.transaction().execute((tx) =>
          tx.selectFrom('objects').selectAll().where('livemode', '=', false).where('id', '=', customer.id).forUpdate().execute(),
        );
      await lockRow(); // prepared on the connection in use now
      await admin.query(`alter table ${schema}.objects add column prep_test_b integer`);
      // Inside a transaction the statement cannot be retried alone: the error says the whole
      // transaction may be retried.
      await assert.rejects(lockRow(), (err) => isStalePlanError(err));
      // …and the connection that met it was replaced, so the retry succeeds.
      const rows = await lockRow();
      assert.equal(rows[0]?.id, customer.id);

      // Through the API: a write whose transaction meets the stale plan is retried once and succeeds.
      await server.stripe.customers.update(customer.id, { name: 'Prepared again' }); // on this connection
      await admin.query(`alter table ${schema}.objects add column prep_test_c integer`);
      const updated = await server.stripe.customers.update(customer.id, { name: 'After migration' });
      assert.equal(updated.name, 'After migration');
      await admin.query(`alter table ${schema}.objects add column prep_test_d integer`);
      assert.equal(((await server.stripe.customers.retrieve(customer.id)) as { name?: string }).name, 'After migration');
      const list = await server.stripe.customers.list({ limit: 3 });
      assert.ok(list.data.length >= 1);
    });

    test('a connection lost between two queries of a transaction fails that transaction, not the process', async () => {
      const uncaught: unknown[] = [];
      const onUncaught = (err: unknown) => uncaught.push(err);
      process.on('uncaughtException', onUncaught);
      try {
        await assert.rejects(
          storage.db.transaction().execute(async (tx) => {
            const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx);
            await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
            // The connection is checked out with no query running when its server goes away: wait
            // until the socket's end has reached this process (it closes the client's stream).
            const deadline = Date.now() + 10_000;
            while (Date.now() < deadline) {
              const gone = await admin.query('select 1 from pg_stat_activity where pid = $1', [rows[0]!.pid]);
              if (gone.rowCount === 0) break;
              await new Promise((r) => setTimeout(r, 10));
            }
            await new Promise((r) => setTimeout(r, 50));
            await sql`select 1`.execute(tx);
          }),
        );
        assert.deepEqual(uncaught, [], 'no uncaught exception');
        // The pool replaced the lost connection: the next query answers.
        assert.equal((await sql<{ one: number }>`select 1 as one`.execute(storage.db)).rows[0]?.one, 1);
      } finally {
        process.off('uncaughtException', onUncaught);
      }
    });
  });
}
