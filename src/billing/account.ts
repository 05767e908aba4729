/**
 * The account as the Accounts API shows it (`GET /v1/account`, `POST /v1/accounts/{id}`): its
 * `business_profile` (name, support email, phone and URL, site) and `settings.branding` (icon and logo
 * as `file` ids of purpose `business_icon` / `business_logo`, primary and secondary colours as `#rrggbb`),
 * plus Portico's own branding extras under names Stripe does not use: `settings.branding.portico_font`
 * (`system`, `serif`, `rounded`, `mono`) and `settings.branding.portico_corners` (`rounded`, `square`).
 * One account serves both modes; an update emits `account.updated` (with `previous_attributes`) in the
 * mode of the key that made it. The business name defaults to PORTICO_BUSINESS_NAME until set.
 */
import { errors } from '../lib/errors.ts';
import { p, type InferShape } from '../lib/params.ts';
import type { Ctx } from '../storage/context.ts';
import type { Executor } from '../storage/database.ts';
import { findObject } from '../storage/objects.ts';
import { emitUpdated } from '../events/outbox.ts';
import type { StripeFile } from './files.ts';

export const PORTICO_FONTS = ['system', 'serif', 'rounded', 'mono'] as const;
export const PORTICO_CORNERS = ['rounded', 'square'] as const;

export interface AccountProfile {
  business_profile: {
    name: string | null;
    support_email: string | null;
    support_phone: string | null;
    support_url: string | null;
    url: string | null;
  };
  branding: {
    icon: string | null;
    logo: string | null;
    primary_color: string | null;
    secondary_color: string | null;
    portico_font: (typeof PORTICO_FONTS)[number] | null;
    portico_corners: (typeof PORTICO_CORNERS)[number] | null;
  };
}

export interface Account {
  id: string;
  object: 'account';
  business_profile: AccountProfile['business_profile'] & { mcc: null; product_description: null };
  business_type: null;
  capabilities: Record<string, never>;
  charges_enabled: boolean;
  country: null;
  created: number;
  default_currency: null;
  details_submitted: true;
  email: null;
  metadata: Record<string, string>;
  payouts_enabled: false;
  settings: { branding: AccountProfile['branding'] };
  type: 'standard';
}

const HEX = /^#[0-9a-fA-F]{6}$/;
const url = p.string({ max: 5000, pattern: /^https?:\/\/[^\s]+$/, patternMessage: 'Must be an absolute http(s) URL.' });

export const accountUpdateShape = {
  business_profile: p.object({
    name: p.emptyable(p.string({ max: 300 })),
    support_email: p.emptyable(p.string({ max: 512, pattern: /^[^\s@]+@[^\s@]+$/, patternMessage: 'Invalid email address.' })),
    support_phone: p.emptyable(p.string({ max: 30, pattern: /^\+?[0-9 ().-]{4,30}$/, patternMessage: 'Invalid phone number.' })),
    support_url: p.emptyable(url),
    url: p.emptyable(url),
  }),
  settings: p.object({
    branding: p.object({
      icon: p.emptyable(p.string({ max: 100 })),
      logo: p.emptyable(p.string({ max: 100 })),
      primary_color: p.emptyable(p.string({ max: 7, pattern: HEX, patternMessage: 'Colors must be hex codes like #1a2b3c.' })),
      secondary_color: p.emptyable(p.string({ max: 7, pattern: HEX, patternMessage: 'Colors must be hex codes like #1a2b3c.' })),
      portico_font: p.emptyable(p.enumOf(PORTICO_FONTS)),
      portico_corners: p.emptyable(p.enumOf(PORTICO_CORNERS)),
    }),
  }),
};
export type AccountUpdate = InferShape<typeof accountUpdateShape>;

function blankProfile(defaultName: string | null): AccountProfile {
  return {
    business_profile: { name: defaultName, support_email: null, support_phone: null, support_url: null, url: null },
    branding: { icon: null, logo: null, primary_color: null, secondary_color: null, portico_font: null, portico_corners: null },
  };
}

function parseProfile(raw: unknown, defaultName: string | null): AccountProfile {
  const stored = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Partial<AccountProfile> | null;
  const base = blankProfile(defaultName);
  if (!stored) return base;
  return { business_profile: { ...base.business_profile, ...stored.business_profile }, branding: { ...base.branding, ...stored.branding } };
}

/** The account's profile (name, support details, branding), read with any executor (pages, API). */
export async function accountProfile(db: Executor, defaultName: string | null = null): Promise<{ id: string; created: number; profile: AccountProfile }> {
  const row = await db
    .selectFrom('accounts')
    .leftJoin('account_profiles', 'account_profiles.account_id', 'accounts.id')
    .select(['accounts.id', 'accounts.created', 'account_profiles.data'])
    .executeTakeFirstOrThrow();
  return { id: row.id, created: row.created, profile: parseProfile(row.data ?? null, defaultName) };
}


/**
 * Gives an account with no profile yet one naming the business `defaultName` (PORTICO_BUSINESS_NAME), at
 * every start: new accounts, and accounts from before the Accounts API. A stored profile is left as is.
 */
export async function initAccountProfile(db: Executor, accountId: string, defaultName: string | null): Promise<void> {
  await db
    .insertInto('account_profiles')
    .values({ account_id: accountId, data: JSON.stringify(blankProfile(defaultName)) })
    .onConflict((oc) => oc.column('account_id').doNothing())
    .execute();
}

function present(id: string, created: number, profile: AccountProfile, livemode: boolean): Account {
  return {
    id,
    object: 'account',
    business_profile: { ...profile.business_profile, mcc: null, product_description: null },
    business_type: null,
    capabilities: {},
    charges_enabled: !livemode,
    country: null,
    created,
    default_currency: null,
    details_submitted: true,
    email: null,
    metadata: {},
    payouts_enabled: false,
    settings: { branding: { ...profile.branding } },
    type: 'standard',
  };
}

export async function retrieveAccount(ctx: Ctx): Promise<Account> {
  const { id, created, profile } = await accountProfile(ctx.db);
  return present(id, created, profile, ctx.livemode);
}

async function checkImage(ctx: Ctx, id: string, purpose: 'business_icon' | 'business_logo', param: string): Promise<void> {
  const file = await findObject<StripeFile>(ctx, 'file', id);
  if (!file) throw errors.resourceMissing('file', id, param);
  if (file.data.purpose !== purpose) throw errors.invalidParam(param, `The file ${id} has purpose ${file.data.purpose}; ${param.includes('icon') ? 'an icon' : 'a logo'} needs a file with purpose ${purpose}.`);
}

/** `POST /v1/accounts/{id}`: updates the account's profile and branding (`account.updated`). */
export async function updateAccount(ctx: Ctx, id: string, params: AccountUpdate): Promise<Account> {
  const row = await ctx.db.selectFrom('accounts').select(['id', 'created']).forUpdate().executeTakeFirstOrThrow();
  if (row.id !== id) throw errors.resourceMissing('account', id, 'account');
  const stored = await ctx.db.selectFrom('account_profiles').select('data').where('account_id', '=', row.id).executeTakeFirst();
  const before = parseProfile(stored?.data ?? null, null);
  const after: AccountProfile = structuredClone(before);
  const bp = params.business_profile;
  if (bp) {
    for (const k of ['name', 'support_email', 'support_phone', 'support_url', 'url'] as const) if (bp[k] !== undefined) after.business_profile[k] = bp[k];
  }
  const b = params.settings?.branding;
  if (b) {
    if (b.icon) await checkImage(ctx, b.icon, 'business_icon', 'settings[branding][icon]');
    if (b.logo) await checkImage(ctx, b.logo, 'business_logo', 'settings[branding][logo]');
    if (b.icon !== undefined) after.branding.icon = b.icon;
    if (b.logo !== undefined) after.branding.logo = b.logo;
    if (b.primary_color !== undefined) after.branding.primary_color = b.primary_color?.toLowerCase() ?? null;
    if (b.secondary_color !== undefined) after.branding.secondary_color = b.secondary_color?.toLowerCase() ?? null;
    if (b.portico_font !== undefined) after.branding.portico_font = b.portico_font;
    if (b.portico_corners !== undefined) after.branding.portico_corners = b.portico_corners;
  }
  await ctx.db
    .insertInto('account_profiles')
    .values({ account_id: row.id, data: JSON.stringify(after) })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ data: JSON.stringify(after) }))
    .execute();
  const shown = present(row.id, row.created, after, ctx.livemode);
  await emitUpdated(ctx, 'account.updated', present(row.id, row.created, before, ctx.livemode), shown);
  return shown;
}
