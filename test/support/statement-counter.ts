/**
 * A storage whose statements a test can count: `record(fn)` returns the SQL of every statement run
 * while `fn` runs (whitespace folded, 200 characters each). Every statement counts, the process's
 * background work's too: a server under count runs none (`COUNTED_SERVER`).
 */
import type { KyselyPlugin } from 'kysely';
import type { Storage } from '../../src/storage/database.ts';
import type { TestServerOptions } from './server.ts';

/**
 * The settings of a server whose statements are counted: an `api` process runs no background work (no
 * workers, and no login-mail sender, which drains the outbox whenever its listener connects).
 */
export const COUNTED_SERVER: TestServerOptions = { config: { role: 'api' } };

export function countingStorage(storage: Storage) {
  const seen: string[] = [];
  const compiled = new Map<unknown, string>();
  let recording = false;
  const plugin: KyselyPlugin = {
    transformQuery({ node, queryId }) {
      if (recording) compiled.set(queryId, storage.db.getExecutor().compileQuery(node, queryId).sql);
      return node;
    },
    async transformResult({ result, queryId }) {
      if (recording) seen.push((compiled.get(queryId) ?? '(compiled elsewhere)').replace(/\s+/g, ' ').slice(0, 200));
      return result;
    },
  };
  return {
    storage: { ...storage, db: storage.db.withPlugin(plugin) } as Storage,
    async record(fn: () => Promise<void>): Promise<string[]> {
      seen.length = 0;
      compiled.clear();
      recording = true;
      try {
        await fn();
      } finally {
        recording = false;
      }
      return [...seen];
    },
  };
}
