/**
 * Dashboard administrators: created from the command line (`portico admin create <email>`), signing
 * in with email and password, changing their password. Emails are compared lower-cased. A sign-in
 * with an unknown email verifies a dummy hash, so it answers exactly like a wrong password, in the
 * same time.
 */
import { newId } from '../lib/ids.ts';
import type { Executor } from '../storage/database.ts';
import { dummyHash, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';

export interface Administrator {
  id: string;
  email: string;
  created: number;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normalizeAdminEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class AdminError extends Error {
  constructor(
    readonly field: 'email' | 'password' | 'current_password',
    message: string,
  ) {
    super(message);
  }
}

export async function createAdministrator(db: Executor, now: number, email: string, password: string): Promise<Administrator> {
  const normalized = normalizeAdminEmail(email);
  if (!EMAIL.test(normalized) || normalized.length > 254) throw new AdminError('email', `Not an email address: ${email}`);
  const problem = passwordProblem(password);
  if (problem) throw new AdminError('password', problem);
  const row = { id: newId('administrator'), email: normalized, password_hash: await hashPassword(password), created: now, password_changed_at: now };
  const inserted = await db.insertInto('administrators').values(row).onConflict((oc) => oc.column('email').doNothing()).executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows) !== 1) throw new AdminError('email', `An administrator with the email ${normalized} already exists.`);
  return { id: row.id, email: row.email, created: now };
}

export async function countAdministrators(db: Executor): Promise<number> {
  const row = await db.selectFrom('administrators').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function getAdministrator(db: Executor, id: string): Promise<Administrator | undefined> {
  return db.selectFrom('administrators').select(['id', 'email', 'created']).where('id', '=', id).executeTakeFirst();
}

/** The administrator for these credentials, or null for a wrong password and an unknown email alike. */
export async function authenticateAdministrator(db: Executor, email: string, password: string): Promise<Administrator | null> {
  const row = await db
    .selectFrom('administrators')
    .select(['id', 'email', 'created', 'password_hash'])
    .where('email', '=', normalizeAdminEmail(email))
    .executeTakeFirst();
  const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
  if (!row || !ok) return null;
  return { id: row.id, email: row.email, created: row.created };
}

/**
 * Changes an administrator's password after checking the current one; every other session of theirs
 * ends (whoever else held one no longer can).
 */
export async function changePassword(
  db: Executor,
  now: number,
  adminId: string,
  current: string,
  next: string,
  keepSessionId: string,
): Promise<void> {
  const row = await db.selectFrom('administrators').select(['password_hash']).where('id', '=', adminId).executeTakeFirst();
  if (!row || !(await verifyPassword(current, row.password_hash))) throw new AdminError('current_password', 'The current password is not right.');
  const problem = passwordProblem(next);
  if (problem) throw new AdminError('password', problem);
  const hash = await hashPassword(next);
  await db.updateTable('administrators').set({ password_hash: hash, password_changed_at: now }).where('id', '=', adminId).execute();
  await db.deleteFrom('admin_sessions').where('administrator', '=', adminId).where('id', '!=', keepSessionId).execute();
}
