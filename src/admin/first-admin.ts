/**
 * The first administrator, made on a start with none: `admin@portico.localhost` with a generated
 * password that `portico start` prints once. (With the embedded database `portico admin create` cannot
 * run beside a running server, which holds the data directory's lock.) Concurrent first starts on one
 * PostgreSQL database: the unique email lets only one create it; the others print nothing.
 */
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../storage/database.ts';
import { AdminError, countAdministrators, createAdministrator } from './administrators.ts';
import { generatePassword } from './passwords.ts';

export const FIRST_ADMIN_EMAIL = 'admin@portico.localhost';

export async function ensureFirstAdministrator(db: Db, clock: Clock): Promise<{ email: string; password: string } | null> {
  if ((await countAdministrators(db)) > 0) return null;
  const password = generatePassword();
  try {
    await createAdministrator(db, clock.now(), FIRST_ADMIN_EMAIL, password);
  } catch (err) {
    if (err instanceof AdminError) return null;
    throw err;
  }
  return { email: FIRST_ADMIN_EMAIL, password };
}
