/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Branding: the account's icon and logo (uploaded through the Files API's own checks: PNG, JPEG or GIF
 * by their first bytes, at most 512 KB), primary and secondary colours, Portico's font and corner
 * extras, and the business profile the portal shows (name, support email, phone and URL, site).
 *
 * One `multipart/form-data` form with the session's CSRF token. **Save** writes through the same
 * domain functions as `POST /v1/files` and `POST /v1/accounts/{id}` (`file.created`, `account.updated`)
 * in one transaction with its audit entries (the account before and after; each file stored), so a
 * refused field (an oversized or non-image file, a bad colour) changes nothing and shows its error on
 * the field. **Preview** (no script needed) re-renders the page with the draft, unsaved: the preview
 * frame shows the portal's home for a sample customer in the draft colours, font, corners and
 * details (the saved images), and each colour that fails WCAG AA contrast gets a warning. A small
 * same-origin script (`/dashboard/-/branding.js`) refreshes the frame as the fields change.
 */
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../../lib/errors.ts';
import { parseParams, decodeBody } from '../../lib/params.ts';
import { accountUpdateShape, PORTICO_CORNERS, PORTICO_FONTS, retrieveAccount, updateAccount, type Account } from '../../billing/account.ts';
import { createFile, filePath, MAX_FILE_BYTES } from '../../billing/files.ts';
import { recordAudit } from '../../admin/audit.ts';
import { listConfigurations } from '../../portal/configurations/index.ts';
import { CsrfField } from '../foundation/components.tsx';
import { displayBusiness } from '../foundation/layout.tsx';
import { buildTheme, DEFAULT_THEME_INPUT, type Corners, type FontChoice } from '../foundation/theme.ts';
import { renderHomePage } from '../portal/pages.tsx';
import { contrastWarnings, type ContrastWarning } from './branding-contrast.ts';
import { BRANDING_PAGE_CSP, PREVIEW_FRAME_CSP, readDashboardUpload, sessionCsrf } from './http.ts';
import type { DashContext, DashEnv, DashKit } from './kit.tsx';
import { Check, ErrorText, Field } from './layout.tsx';
import { m } from './messages.ts';
import { sampleHome } from './portal-settings.tsx';

/** Two images at the Files API's limit and the text fields, with room for multipart's framing. */
export const BRANDING_UPLOAD_LIMIT = 2 * MAX_FILE_BYTES + 64 * 1024;

/** The form's text fields: the API's own param names, and the short name the preview's query uses. */
const TEXT_FIELDS = [
  ['business_profile[name]', 'name'],
  ['business_profile[support_email]', 'support_email'],
  ['business_profile[support_phone]', 'support_phone'],
  ['business_profile[support_url]', 'support_url'],
  ['business_profile[url]', 'url'],
  ['settings[branding][primary_color]', 'primary_color'],
  ['settings[branding][secondary_color]', 'secondary_color'],
  ['settings[branding][portico_font]', 'portico_font'],
  ['settings[branding][portico_corners]', 'portico_corners'],
] as const;
type Short = (typeof TEXT_FIELDS)[number][1];
type Draft = Record<Short, string>;

const IMAGES = [
  { kind: 'icon', purpose: 'business_icon', input: 'icon_file', remove: 'remove_icon' },
  { kind: 'logo', purpose: 'business_logo', input: 'logo_file', remove: 'remove_logo' },
] as const;

function draftOf(account: Account): Draft {
  const bp = account.business_profile;
  const b = account.settings.branding;
  return {
    name: bp.name ?? '',
    support_email: bp.support_email ?? '',
    support_phone: bp.support_phone ?? '',
    support_url: bp.support_url ?? '',
    url: bp.url ?? '',
    primary_color: b.primary_color ?? '',
    secondary_color: b.secondary_color ?? '',
    portico_font: b.portico_font ?? '',
    portico_corners: b.portico_corners ?? '',
  };
}

function draftFrom(get: (name: string) => string | undefined, long: boolean): Draft {
  const d = {} as Draft;
  for (const [param, short] of TEXT_FIELDS) d[short] = (get(long ? param : short) ?? '').slice(0, 5000);
  return d;
}

const previewHref = (d: Draft) => `/dashboard/branding/preview?${new URLSearchParams(d).toString()}`;

function Select(props: { name: string; short: string; label: string; value: string; options: readonly string[]; error: string | null }) {
  const id = `f-${props.short}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} data-preview={props.short} aria-invalid={props.error ? 'true' : undefined}>
        <option value="" selected={props.value === ''}>{m.branding.default}</option>
        {props.options.map((o) => (
          <option value={o} selected={o === props.value}>{o}</option>
        ))}
      </select>
      <ErrorText error={props.error} />
    </div>
  );
}

function Warnings(props: { warnings: ContrastWarning[]; field: ContrastWarning['field'] }) {
  const mine = props.warnings.filter((w) => w.field === props.field);
  return mine.length ? (
    <ul class="contrast-warnings">
      {mine.map((w) => (
        <li class="warning">{w.message}</li>
      ))}
    </ul>
  ) : null;
}

interface FormState {
  draft: Draft;
  account: Account;
  errors: Record<string, string>;
  csrf: string;
}

function BrandingForm(props: FormState) {
  const { draft, account, errors } = props;
  const err = (name: string) => errors[name] ?? null;
  const warnings = contrastWarnings({ primary: draft.primary_color || null, secondary: draft.secondary_color || null });
  const text = (param: (typeof TEXT_FIELDS)[number][0], short: Short, label: string, type = 'text', hint?: string) => (
    <div data-preview-field={short}>
      <Field name={param} label={label} type={type} value={draft[short]} error={err(param)} {...(hint ? { hint } : {})} />
    </div>
  );
  return (
    <form method="post" action="/dashboard/branding" enctype="multipart/form-data" id="branding-form">
      <CsrfField token={props.csrf} />
      <fieldset>
        <legend>{m.branding.images}</legend>
        <p class="muted">{m.branding.imageRules}</p>
        {IMAGES.map((img) => {
          const current = account.settings.branding[img.kind];
          const id = `f-${img.input}`;
          const error = err(img.input);
          return (
            <div class="field image-field">
              <label for={id}>{img.kind === 'icon' ? m.branding.icon : m.branding.logo}</label>
              {current ? <img class="thumb" src={filePath(current)} alt={img.kind === 'icon' ? m.branding.currentIcon : m.branding.currentLogo} /> : <span class="muted">{m.none}</span>}
              <input
                id={id}
                type="file"
                name={img.input}
                accept="image/png,image/jpeg,image/gif"
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={error ? `${id}-error` : undefined}
              />
              {error ? <p class="field-error" id={`${id}-error`}>{error}</p> : null}
              {current ? <Check name={img.remove} label={img.kind === 'icon' ? m.branding.removeIcon : m.branding.removeLogo} checked={false} /> : null}
            </div>
          );
        })}
      </fieldset>
      <fieldset>
        <legend>{m.branding.look}</legend>
        {text('settings[branding][primary_color]', 'primary_color', m.branding.primary, 'text', m.branding.colorHint(DEFAULT_THEME_INPUT.brandColor))}
        <Warnings warnings={warnings} field="settings[branding][primary_color]" />
        {text('settings[branding][secondary_color]', 'secondary_color', m.branding.secondary, 'text', m.branding.colorHint(DEFAULT_THEME_INPUT.accentColor))}
        <Warnings warnings={warnings} field="settings[branding][secondary_color]" />
        <Select name="settings[branding][portico_font]" short="portico_font" label={m.branding.font} value={draft.portico_font} options={PORTICO_FONTS} error={err('settings[branding][portico_font]')} />
        <Select name="settings[branding][portico_corners]" short="portico_corners" label={m.branding.corners} value={draft.portico_corners} options={PORTICO_CORNERS} error={err('settings[branding][portico_corners]')} />
      </fieldset>
      <fieldset>
        <legend>{m.branding.business}</legend>
        {text('business_profile[name]', 'name', m.branding.name)}
        {text('business_profile[support_email]', 'support_email', m.branding.supportEmail, 'email')}
        {text('business_profile[support_phone]', 'support_phone', m.branding.supportPhone, 'tel')}
        {text('business_profile[support_url]', 'support_url', m.branding.supportUrl, 'url')}
        {text('business_profile[url]', 'url', m.branding.url, 'url')}
      </fieldset>
      {errors[''] ? <ErrorText error={errors['']} /> : null}
      <div class="actions">
        <button class="button" type="submit" name="action" value="save">{m.save}</button>
        <button class="button secondary" type="submit" name="action" value="preview">{m.branding.preview}</button>
      </div>
    </form>
  );
}

async function brandingPage(kit: DashKit, c: DashContext, state: { draft?: Draft; errors?: Record<string, string>; saved?: boolean; previewing?: boolean; status?: number } = {}) {
  const account = await retrieveAccount(kit.ctx(c));
  const draft = state.draft ?? draftOf(account);
  const errors = state.errors ?? {};
  const first = Object.values(errors)[0];
  c.header('Content-Security-Policy', BRANDING_PAGE_CSP);
  return kit.html(
    c,
    m.branding.title,
    <div class="branding">
      <BrandingForm draft={draft} account={account} errors={errors} csrf={kit.page(c).csrf} />
      <section class="card preview-card" aria-labelledby="preview-title">
        <h2 id="preview-title">{m.branding.previewTitle}</h2>
        <p class="muted">{state.previewing ? m.branding.previewUnsaved : m.branding.previewHint}</p>
        <iframe id="branding-preview" class="preview-frame" title={m.branding.previewFrame} src={previewHref(draft)} sandbox="allow-same-origin" data-base="/dashboard/branding/preview"></iframe>
      </section>
      <script src="/dashboard/-/branding.js" defer></script>
    </div>,
    {
      notice: first ? { kind: 'error', text: first } : state.saved ? { kind: 'success', text: m.saved } : null,
      status: state.status ?? 200,
    },
  );
}

/** The live preview's script: rebuilds the frame's address from the fields a moment after they change. */
export const BRANDING_JS = `(function () {
  var form = document.getElementById('branding-form');
  var frame = document.getElementById('branding-preview');
  if (!form || !frame) return;
  var timer = 0;
  function refresh() {
    var q = new URLSearchParams();
    form.querySelectorAll('[data-preview-field] input, select[data-preview]').forEach(function (el) {
      var key = el.getAttribute('data-preview') || el.closest('[data-preview-field]').getAttribute('data-preview-field');
      q.set(key, el.value);
    });
    var next = frame.getAttribute('data-base') + '?' + q.toString();
    if (frame.getAttribute('src') !== next) frame.setAttribute('src', next);
  }
  form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refresh, 250); });
  form.addEventListener('change', function () { clearTimeout(timer); timer = setTimeout(refresh, 50); });
})();
`;

export function registerBranding(dash: Hono<DashEnv>, kit: DashKit): void {
  dash.get('/-/branding.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    c.header('Cache-Control', 'no-cache');
    return c.body(BRANDING_JS);
  });

  dash.get('/branding', (c) => brandingPage(kit, c, { saved: c.req.query('saved') === '1' }));

  dash.post(
    '/branding',
    bodyLimit({ maxSize: BRANDING_UPLOAD_LIMIT, onError: (c) => {
      // The rest of the body is never read, so the connection cannot carry another request: say so.
      c.header('Connection', 'close');
      return brandingPage(kit, c as DashContext, { errors: { '': m.branding.tooLarge }, status: 413 });
    } }),
    async (c) => {
      const session = c.get('session');
      const upload = await readDashboardUpload(c, (token) => sessionCsrf.verify(session, token));
      if (!upload) return kit.html(c, m.dashboard, null, { notice: { kind: 'error', text: m.refused }, status: 403 });
      const draft = draftFrom((name) => upload.fields[name], true);
      if (upload.fields.action === 'preview') return brandingPage(kit, c, { draft, previewing: true });

      const form = new URLSearchParams();
      for (const [param, short] of TEXT_FIELDS) form.set(param, draft[short]);
      let field = '';
      try {
        await kit.change(c, async (ctx) => {
          const before = await retrieveAccount(ctx);
          for (const img of IMAGES) {
            const file = upload.files[img.input];
            if (file) {
              field = img.input;
              const stored = await createFile(ctx, { purpose: img.purpose, filename: file.filename, bytes: file.bytes });
              await recordAudit(ctx.db, ctx.clock.now(), session.administrator, ctx.livemode, { action: 'file.create', objectId: stored.id, before: null, after: stored });
              form.set(`settings[branding][${img.kind}]`, stored.id);
            } else if (upload.fields[img.remove] === 'true') form.set(`settings[branding][${img.kind}]`, '');
          }
          field = '';
          // The API's decoder and schema: the same validation (and messages) as POST /v1/accounts/{id}.
          const params = parseParams(accountUpdateShape, decodeBody(new TextEncoder().encode(form.toString())));
          const after = await updateAccount(ctx, before.id, params);
          return { result: after, audit: { action: 'account.update', objectId: after.id, before, after } };
        });
      } catch (err) {
        if (err instanceof ApiError && err.status < 500) {
          const on = field || (err.body.param && TEXT_FIELDS.some(([p]) => p === err.body.param) ? err.body.param : '');
          return brandingPage(kit, c, { draft, errors: { [on]: err.body.message }, status: 400 });
        }
        throw err;
      }
      return c.redirect('/dashboard/branding?saved=1', 303);
    },
  );

  // The portal's home for a sample customer under the mode's default configuration, in the draft's
  // look (every value re-validated: colours by the theme, links and contacts by the portal layout).
  dash.get('/branding/preview', async (c) => {
    const ctx = kit.ctx(c);
    const draft = draftFrom((name) => c.req.query(name), false);
    const [account, defaults] = await Promise.all([retrieveAccount(ctx), listConfigurations(ctx, { is_default: true }, { limit: 1 })]);
    const conf = defaults.data[0]?.data;
    if (!conf) return kit.notFound(c);
    const logo = account.settings.branding.logo ?? account.settings.branding.icon;
    const data = sampleHome(conf);
    const html = await renderHomePage({
      data,
      business: {
        ...displayBusiness(draft.name.trim() || kit.deps.businessName, conf.business_profile, draft.url || conf.default_return_url),
        logoPath: logo ? filePath(logo) : null,
        theme: buildTheme({
          brandColor: draft.primary_color,
          accentColor: draft.secondary_color,
          font: (PORTICO_FONTS as readonly string[]).includes(draft.portico_font) ? (draft.portico_font as FontChoice) : null,
          corners: (PORTICO_CORNERS as readonly string[]).includes(draft.portico_corners) ? (draft.portico_corners as Corners) : null,
        }),
        supportEmail: draft.support_email || null,
        supportPhone: draft.support_phone || null,
        supportUrl: draft.support_url || draft.url || null,
      },
      businessName: kit.deps.businessName,
      sessionLocale: null,
      acceptLanguage: c.req.header('accept-language') ?? null,
      csrfToken: '',
      notice: null,
    });
    c.header('Content-Security-Policy', PREVIEW_FRAME_CSP);
    return c.html(html);
  });
}
