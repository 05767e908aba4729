/**
 * Table types for Kysely. Objects that are documents on the wire (customers, prices, …) live in one
 * `objects` table: their API shape in `data`, fields Portico filters or joins on in columns, and
 * values the API never shows (test-card behaviour, fingerprints' secrets) in `private`.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export type Json = ColumnType<any, string, string>;

export interface AccountsTable {
  id: string;
  created: number;
  test_secret_key: string;
  live_secret_key: string;
  test_publishable_key: string;
  live_publishable_key: string;
}

export interface ObjectsTable {
  livemode: boolean;
  id: string;
  seq: Generated<number>;
  object: string;
  created: number;
  customer: string | null;
  deleted: Generated<boolean>;
  data: Json;
  private: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface EventsTable {
  id: string;
  seq: Generated<number>;
  livemode: boolean;
  type: string;
  created: number;
  data: Json;
}

export interface IdempotencyKeysTable {
  livemode: boolean;
  key: string;
  request_hash: string;
  created: number;
  /** Set while the first request runs; cleared when its response is stored. */
  locked_at: number | null;
  status: number | null;
  response: string | null;
}

export interface Database {
  accounts: AccountsTable;
  objects: ObjectsTable;
  events: EventsTable;
  idempotency_keys: IdempotencyKeysTable;
}

export type ObjectRow = Selectable<ObjectsTable>;
export type NewObjectRow = Insertable<ObjectsTable>;
