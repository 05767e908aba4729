/**
 * Hosted invoice links: at finalization an invoice gets `hosted_invoice_url` (`<base>/i/<token>`) and
 * `invoice_pdf` (`<base>/i/<token>/pdf`). The token is 256 random bits (base64url, 43 characters), never
 * derived from the invoice id; only its SHA-256 hash is kept, as the id of an `invoice_link` row
 * (`ihl_<hex hash>`) that names the invoice, so a lookup by hash is a primary-key read. (The row sits
 * beside the invoice rather than in its `private` data, which the invoice store rewrites from a fixed
 * shape on every payment.) The base URL is the server's public URL, set once at start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setImmediate as nextTick } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Ctx } from '../../storage/context.ts';
import type { Executor } from '../../storage/database.ts';
import { insertObject } from '../../storage/objects.ts';
import { publicBaseUrl } from '../../lib/public-url.ts';
import type { Invoice } from './types.ts';

export const INVOICE_LINK = 'invoice_link';
/** What a hosted-invoice token looks like: 32 bytes in base64url without padding. */
export const HOSTED_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The public base URL hosted invoice links start with (set by the composition root). */
export { setPublicBaseUrl as setHostedInvoiceBaseUrl, publicBaseUrl as hostedInvoiceBaseUrl } from '../../lib/public-url.ts';

export function hashHostedToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const linkId = (hash: string) => `ihl_${hash}`;

/**
 * Creates a fresh token for the invoice, stores its hash, and sets the invoice's two URLs (the caller
 * writes the invoice). Returns the token.
 */
export async function createHostedLinks(ctx: Ctx, invoice: Invoice): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertObject(ctx, {
    id: linkId(hashHostedToken(token)),
    object: INVOICE_LINK,
    created: ctx.clock.now(),
    customer: invoice.customer,
    data: { invoice: invoice.id },
  });
  invoice.hosted_invoice_url = `${publicBaseUrl()}/i/${token}`;
  invoice.invoice_pdf = `${publicBaseUrl()}/i/${token}/pdf`;
  return token;
}

/** The invoice (id and mode) a hosted token names, or null for a malformed or unknown token. */
export async function findInvoiceByHostedToken(
  db: Executor,
  token: string,
): Promise<{ livemode: boolean; invoice: string } | null> {
  if (!HOSTED_TOKEN_PATTERN.test(token)) return null;
  // One primary-key probe per mode: `livemode in (…)` lets a planner without statistics read the
  // whole list index instead (seconds among 500,000 objects).
  const id = linkId(hashHostedToken(token));
  const inMode = (livemode: boolean) =>
    db.selectFrom('objects').select(['livemode', 'data']).where('livemode', '=', livemode).where('id', '=', id).where('object', '=', INVOICE_LINK);
  const row = await inMode(false).unionAll(inMode(true)).executeTakeFirst();
  if (!row) return null;
  const invoice = (row.data as { invoice?: unknown }).invoice;
  return typeof invoice === 'string' ? { livemode: row.livemode, invoice } : null;
}

/** What a hosted page or PDF shows of each line; descriptions cut to `maxChars` by the database. */
export interface DisplayLine {
  description: string | null;
  quantity: number;
  amount: number;
  /** The tax included in `amount` (tax-inclusive rates), for `rendering.amount_tax_display=exclude_tax`. */
  inclusive_tax: number;
}

/** Lines read per query for display (see `invoiceForDisplay`). */
export const DISPLAY_LINES_PER_QUERY = 50;

/**
 * The invoice and every line of it for display, each description cut to `maxChars` characters by the
 * database: an invoice of 1,000 lines with 5,000-character product names is ~5 MB of stored lines,
 * which would otherwise be copied and parsed in one piece for a page that shows a few hundred
 * characters of each. The lines are read `DISPLAY_LINES_PER_QUERY` at a time (a JSON path slice of the
 * stored lines), yielding to the event loop between queries: on the embedded database each query is
 * one synchronous call on the event loop, and reading all lines in one took 130–600 ms (issue 12). The
 * reads share one repeatable-read snapshot, so a draft edited meanwhile is shown as it was or as it is,
 * never mixed. `lines` is null when the invoice has no stored lines.
 */
export async function invoiceForDisplay(
  ctx: Ctx,
  id: string,
  maxChars: number,
): Promise<{ invoice: Invoice; lines: DisplayLine[] | null } | null> {
  const read = async (db: Executor) => {
    const row = await db
      .selectFrom('objects')
      .select(['data'])
      .where('livemode', '=', ctx.livemode)
      .where('object', '=', 'invoice')
      .where('id', '=', id)
      .where('deleted', '=', false)
      .executeTakeFirst();
    if (!row) return null;
    const lines: DisplayLine[] = [];
    for (let from = 0; ; from += DISPLAY_LINES_PER_QUERY) {
      if (from > 0) await nextTick(); // let other requests run between two reads
      const { rows } = await sql<{ lines: { description: string | null; quantity: string | number; amount: string | number; inclusive_tax: string | number }[] | null }>`
        select (select jsonb_agg(jsonb_build_object(
            'description', left(e->>'description', ${maxChars}),
            'quantity', (e->>'quantity')::numeric,
            'amount', (e->>'amount')::bigint,
            'inclusive_tax', (select coalesce(sum((x->>'amount')::bigint), 0) from jsonb_array_elements(e->'taxes') x
              where x->>'tax_behavior' = 'inclusive')) order by n)
          from jsonb_array_elements(jsonb_path_query_array(private, '$.allLines[$from to $to]',
                 jsonb_build_object('from', ${from}::int, 'to', ${from + DISPLAY_LINES_PER_QUERY - 1}::int)))
               with ordinality as l(e, n)) as lines
        from objects where livemode = ${ctx.livemode} and id = ${id}`.execute(db);
      const page = rows[0]?.lines ?? [];
      for (const l of page) lines.push({ description: l.description, quantity: Number(l.quantity), amount: Number(l.amount), inclusive_tax: Number(l.inclusive_tax) });
      if (page.length < DISPLAY_LINES_PER_QUERY) break;
    }
    return { invoice: row.data as unknown as Invoice, lines: lines.length > 0 ? lines : null };
  };
  await ctx.uow?.settle(ctx.db);
  return ctx.db.isTransaction ? read(ctx.db) : ctx.db.transaction().setIsolationLevel('repeatable read').execute(read);
}
