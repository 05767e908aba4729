/**
 * Finding customers for the dashboard, in the context's mode: by id, or by email (exact,
 * case-insensitive, the login page's index) or name (prefix, case-insensitive).
 */
import { sql } from 'kysely';
import type { Customer } from '../../billing/customers.ts';
import type { Ctx } from '../../storage/context.ts';
import { findObject, listObjects } from '../../storage/objects.ts';

export async function findCustomer(ctx: Ctx, idOrEmail: string): Promise<Customer | null> {
  if (/^cus_[A-Za-z0-9]+$/.test(idOrEmail)) {
    const found = await findObject<Customer>(ctx, 'customer', idOrEmail);
    return found && !('deleted' in found.data && found.data.deleted) ? found.data : null;
  }
  return (await searchCustomers(ctx, idOrEmail, 1))[0] ?? null;
}

export async function searchCustomers(ctx: Ctx, query: string, limit = 50): Promise<Customer[]> {
  const q = query.trim().toLowerCase();
  const page = await listObjects<Customer>(ctx, 'customer', {
    limit,
    where: q === ''
      ? undefined
      : (b) =>
          b.where((eb) =>
            eb.or([
              eb(sql<string>`lower(data->>'email')`, '=', q),
              eb(sql<string>`lower(data->>'name')`, 'like', `${q.replace(/[\\%_]/g, (x) => `\\${x}`)}%`),
              eb('id', '=', query.trim()),
            ]),
          ),
  });
  return page.data.map((r) => r.data);
}
