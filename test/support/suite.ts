/**
 * Per-database suite setup: inside a `describe`, `useTestServer(db, ready)` opens that storage, starts
 * a server on it before the suite's tests and closes both after them.
 */
import { after, before } from 'node:test';
import type { Storage } from '../../src/storage/database.ts';
import type { StorageCase } from './storages.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export function useTestServer(
  db: StorageCase,
  ready: (server: TestServer) => void,
  opts: Omit<TestServerOptions, 'storage'> = {},
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

/** The events about one object, oldest first. */
export async function objectEvents(
  server: TestServer,
  objectId: string,
): Promise<{ type: string; data: { object: { id: string }; previous_attributes?: any } }[]> {
  const rows = await server.portico.storage.db.selectFrom('events').selectAll().orderBy('seq', 'asc').execute();
  return rows
    .map((r) => r.data as { type: string; data: { object: { id: string }; previous_attributes?: any } })
    .filter((e) => e.data.object.id === objectId);
}
