/**
 * The account's branding as pages show it (Accounts API, `billing/account.ts`): the business name (the
 * account's `business_profile.name`, else PORTICO_BUSINESS_NAME), the theme from
 * `settings.branding.primary_color` (the business column) and `secondary_color` (buttons, links), with
 * Portico's `portico_font` and `portico_corners`; the logo (else the icon) served from Portico's own
 * origin (`/p/-/files/<id>`, only the files the account currently uses); and the support contacts
 * for the footer. `mountBrandingFiles` serves those image bytes.
 */
import type { Hono } from 'hono';
import { accountProfile } from '../../billing/account.ts';
import { IMAGE_MIME, fileContent, filePath } from '../../billing/files.ts';
import type { Executor } from '../../storage/database.ts';
import { buildTheme, type Theme } from '../foundation/theme.ts';

export interface Branding {
  name: string | null;
  theme: Theme;
  logoPath: string | null;
  supportEmail: string | null;
  supportPhone: string | null;
  supportUrl: string | null;
}

export async function loadBranding(db: Executor, defaultName: string | null): Promise<Branding> {
  const { profile } = await accountProfile(db, defaultName);
  const b = profile.branding;
  const image = b.logo ?? b.icon;
  return {
    name: profile.business_profile.name ?? defaultName,
    theme: buildTheme({ brandColor: b.primary_color, accentColor: b.secondary_color, font: b.portico_font, corners: b.portico_corners }),
    logoPath: image ? filePath(image) : null,
    supportEmail: profile.business_profile.support_email,
    supportPhone: profile.business_profile.support_phone,
    supportUrl: profile.business_profile.support_url ?? profile.business_profile.url,
  };
}

/** `GET /p/-/files/<id>`: the account's current icon or logo, as the image it is (nothing else is served). */
export function mountBrandingFiles(app: Hono<any>, db: Executor): void {
  app.get('/p/-/files/:id', async (c) => {
    const id = c.req.param('id');
    const { profile } = await accountProfile(db);
    if (id !== profile.branding.logo && id !== profile.branding.icon) return c.text('Not found', 404);
    const file = await fileContent(db, id);
    if (!file) return c.text('Not found', 404);
    c.header('Content-Type', IMAGE_MIME[file.type]);
    c.header('Content-Disposition', 'inline');
    c.header('Cache-Control', 'public, max-age=86400, immutable');
    return c.body(file.bytes as Uint8Array<ArrayBuffer>);
  });
}
