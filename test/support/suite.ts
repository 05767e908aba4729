/**
 * Per-database suite setup: inside a `describe`, `useTestServer(db, ready)` opens that storage, starts
 * a server on it before the suite's tests and closes both after them.
 */
import { after, before } from 'node:test';
import type { Clock } from '../../src/lib/clock.ts';
import type { Storage } from '../../src/storage/database.ts';
import type { StorageCase } from './storages.ts';
import { startTestServer, type TestServer } from './server.ts';

export function useTestServer(
  db: StorageCase,
  ready: (server: TestServer) => void,
  opts: { clock?: Clock; startWorkers?: boolean } = {},
): void {
  let storage: Storage;
  let server: TestServer;
  before(async () => {
    storage = await db.open();
    server = await startTestServer({ storage, ...opts });
    ready(server);
  });
  after(async () => {
    await server?.close();
    await storage?.close();
  });
}
