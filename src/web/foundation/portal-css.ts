/**
 * The portal's base stylesheet. Theme values arrive as custom properties (theme.ts → `themeCss`), so this
 * text is the same for every merchant and cacheable; `PORTAL_CSS_VERSION` (a hash of it) busts caches
 * when it changes. Classes for pages: `.page-title`, `.card` (Section), `.list`/`.row`, `table.data`,
 * `.field` + `label` + `input`, `.button` (+ `.secondary`, `.danger`, `.link-button`), `.badge-*`,
 * `.notice-*`, `.muted`, `.actions`, `.empty`, `.scroll-x` (wrap wide tables).
 *
 * Direction: only logical properties (`padding-inline-start`, `border-block-end`, `text-align: start`,
 * `inset-block-start`…), so a page with `dir="rtl"` mirrors with no rule of its own; the grid areas follow
 * the inline direction too. The one exception is the wide-screen background gradient, which CSS cannot
 * write logically: `[dir=rtl]` turns it (and drops the letter spacing Arabic script must not have).
 */
import { createHash } from 'node:crypto';

export const PORTAL_CSS = `*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#fff;color:#1a1f36;font:15px/1.5 var(--font);-webkit-font-smoothing:antialiased}
a{color:var(--link);text-underline-offset:2px}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:2px solid var(--link);outline-offset:2px;border-radius:var(--radius-sm)}
h1,h2,h3{line-height:1.25;margin:0 0 .75rem;color:#1a1f36}
p{margin:0 0 .75rem}
.shell{min-height:100vh;display:grid;grid-template-columns:minmax(0,1fr);grid-template-rows:auto 1fr auto;grid-template-areas:"business" "content" "legal"}
.business{grid-area:business;background:var(--brand);color:var(--on-brand);padding:1.25rem 1.25rem 1.5rem;border-block-end:1px solid rgba(0,0,0,.08)}
.business a{color:var(--on-brand)}
.business :focus-visible,.legal :focus-visible{outline-color:currentColor}
.return{display:inline-flex;gap:.4rem;align-items:center;font-size:.9rem;font-weight:500;text-decoration:none;margin-block-end:1.25rem}
.return:hover{text-decoration:underline}
.identity{display:flex;align-items:center;gap:.75rem}
.mark{display:inline-flex;align-items:center;justify-content:center;width:2.25rem;height:2.25rem;flex:none;border-radius:var(--radius-sm);background:var(--on-brand);color:var(--brand);font-weight:600}
.logo{max-height:2.5rem;max-width:10rem;object-fit:contain}
.business-name{margin:0;font-size:1.125rem;font-weight:600;overflow-wrap:anywhere}
.headline{margin:.75rem 0 0;color:var(--on-brand-muted);font-size:1.5rem;line-height:1.3;font-weight:500;max-width:24rem;overflow-wrap:anywhere}
.content{grid-area:content;padding:1.5rem 1.25rem 2.5rem;min-width:0}
.content>*{max-width:40rem}
.legal{grid-area:legal;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:1rem 1.25rem 1.5rem;border-block-start:1px solid #e3e8ee;color:#596171;font-size:.8125rem}
.legal ul{display:flex;flex-wrap:wrap;gap:.5rem 1rem;margin:0;padding:0;list-style:none}
.legal a{color:inherit}
@media (min-width:56rem){
.shell{grid-template-columns:42% 58%;grid-template-rows:1fr auto;grid-template-areas:"business content" "legal content";background:linear-gradient(to right,var(--brand) 42%,#fff 42%)}
[dir=rtl] .shell{background:linear-gradient(to left,var(--brand) 42%,#fff 42%)}
.business,.legal{padding-inline-start:max(3rem,calc(42vw - 27rem));padding-inline-end:3rem}
.business{position:sticky;inset-block-start:0;align-self:start;padding-block:3.5rem 2rem;border-block-end:0}
.business>*{max-width:24rem}
.legal{position:sticky;inset-block-end:0;align-self:end;background:var(--brand);color:var(--on-brand-muted);border-block-start:0;padding-block:1.5rem 2.5rem}
.content{padding:3.5rem 3rem 3rem;border-inline-start:1px solid rgba(0,0,0,.08)}
}
.page-title{font-size:1.5rem;font-weight:600;margin-block-end:1.5rem}
.card{margin:0 0 2rem}
.card h2{font-size:.8125rem;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:#596171;padding-block-end:.625rem;border-block-end:1px solid #e3e8ee;margin-block-end:1rem}
[dir=rtl] .card h2{letter-spacing:0}
.muted{color:#596171}
.empty{color:#596171;margin:.25rem 0}
.list{list-style:none;margin:0;padding:0}
.row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;justify-content:space-between;align-items:center;padding:.75rem 0;border-block-end:1px solid #ebeef1}
.row:last-child{border-block-end:0}
table.data{width:100%;border-collapse:collapse;font-size:.9375rem}
table.data th{font-weight:500;color:#596171;font-size:.8125rem;text-align:start;padding-block:.5rem;padding-inline:0 .5rem;border-block-end:1px solid #e3e8ee}
table.data td{padding-block:.75rem;padding-inline:0 .5rem;border-block-end:1px solid #ebeef1;vertical-align:top}
table.data .num{text-align:end;white-space:nowrap;font-variant-numeric:tabular-nums}
.field{display:flex;flex-direction:column;gap:.375rem;margin:0 0 1rem}
label{font-weight:500;font-size:.875rem}
input[type=email],input[type=text],input[type=number],select{font:inherit;color:inherit;width:100%;max-width:24rem;padding:.55rem .75rem;border:1px solid #c0c8d2;border-radius:var(--radius-sm);background:#fff}
input:focus-visible,select:focus-visible{outline:2px solid var(--link);outline-offset:0;border-color:var(--link)}
input[aria-invalid=true]{border-color:#c0123c}
.field-error{color:#c0123c;font-size:.875rem;margin:0}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;margin-block-start:1.25rem}
.button{display:inline-flex;align-items:center;justify-content:center;gap:.5rem;font:inherit;font-weight:600;line-height:1.2;padding:.65rem 1.1rem;min-height:2.5rem;border:1px solid transparent;border-radius:var(--radius-sm);background:var(--accent);color:var(--on-accent);text-decoration:none;cursor:pointer}
.button:hover{filter:brightness(.94)}
.button.secondary{background:#fff;color:#1a1f36;border-color:#c0c8d2}
.button.secondary:hover{background:#f6f8fa;filter:none}
.button.danger{background:#fff;color:#c0123c;border-color:#f1b4c3}
.link-button{font:inherit;background:none;border:0;padding:0;color:var(--link);text-decoration:underline;cursor:pointer}
form.inline{display:inline}
.scroll-x{overflow-x:auto}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:999px;font-size:.75rem;font-weight:600;line-height:1.5;white-space:nowrap}
.badge-neutral{background:#ebeef1;color:#414552}
.badge-success{background:#d1fab3;color:#1e5213}
.badge-info{background:#cff5f6;color:#045ad0}
.badge-warning{background:#fcedb9;color:#7c2e06}
.badge-danger{background:#ffe7f2;color:#b3093c}
.notice{padding:.75rem 1rem;border-radius:var(--radius-sm);margin:0 0 1.5rem;border:1px solid}
.notice-info{background:#f5fbff;border-color:#c4e1fb;color:#044a9e}
.notice-success{background:#f2fcec;border-color:#b7eb9d;color:#1e5213}
.notice-error{background:#fff5fa;border-color:#f9c4d8;color:#a0072e}
fieldset{border:0;padding:0;margin:0 0 1rem;min-width:0}
legend{font-weight:600;margin:0 0 .5rem;padding:0}
.choice{display:flex;gap:.625rem;align-items:flex-start;padding:.625rem 0;border-block-end:1px solid #ebeef1;font-weight:400}
.choice input{margin-block-start:.2rem;accent-color:var(--accent)}
textarea{font:inherit;color:inherit;width:100%;max-width:32rem;min-height:5rem;padding:.55rem .75rem;border:1px solid #c0c8d2;border-radius:var(--radius-sm)}
.choice input:focus-visible,textarea:focus-visible{outline:2px solid var(--link);outline-offset:2px}
dl.summary{display:grid;grid-template-columns:auto 1fr;gap:.5rem 1rem;margin:0 0 1rem}
dl.summary dt{color:#596171}
dl.summary dd{margin:0;font-variant-numeric:tabular-nums}
@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;transition:none!important;scroll-behavior:auto!important}}
@media (forced-colors:active){.button,.badge{border:1px solid}}
.visually-hidden{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
fieldset{border:0;margin:0 0 1rem;padding:0}
legend{font-weight:500;font-size:.875rem;margin-block-end:.5rem;padding:0}
.field.checkbox label{font-weight:400;display:flex;gap:.5rem;align-items:center}
.field .label{font-weight:500;font-size:.875rem}
td.links{white-space:nowrap}
td.links a{margin-inline-end:.5rem}
`;

export const PORTAL_CSS_VERSION = createHash('sha256').update(PORTAL_CSS).digest('hex').slice(0, 10);
