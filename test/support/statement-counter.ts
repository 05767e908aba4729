/**
 * A storage whose statements a test can count: `record(fn)` returns the SQL of every statement run
 * while `fn` runs (whitespace folded, 200 characters each).
 */
import type { KyselyPlugin } from 'kysely';
import type { Storage } from '../../src/storage/database.ts';

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
      // The login-mail sender runs in the background of the same process: NOTIFYs on its channel are
      // database-wide, so another process on this database (another test file) can wake it meanwhile.
      // No request counted here touches the outbox; its statements are what is counted.
      return seen.filter((s) => !s.includes('portal_login_outbox'));
    },
  };
}
