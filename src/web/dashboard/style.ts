/**
 * The dashboard's stylesheet, served at `/dashboard/-/style.css?v=<hash>` (the CSP allows no inline
 * style). A plain, dense admin layout: a side navigation, a mode bar, tables, forms and small SVG
 * charts. Colours meet WCAG AA contrast on white.
 */
import { createHash } from 'node:crypto';

export const DASHBOARD_CSS = `*,*::before,*::after{box-sizing:border-box}
body{margin:0;background:#f6f8fa;color:#1a1f36;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:#3d4eac}
:focus-visible{outline:2px solid #3d4eac;outline-offset:2px}
h1{font-size:1.5rem;margin:0 0 1rem}
h2{font-size:1.05rem;margin:1.5rem 0 .75rem}
h3{font-size:.95rem;margin:1rem 0 .5rem}
.frame{display:grid;grid-template-columns:13rem minmax(0,1fr);min-height:100vh}
.side{background:#1a1f36;color:#fff;padding:1rem}
.side a{color:#fff;text-decoration:none;display:block;padding:.35rem .5rem;border-radius:4px}
.side a:hover,.side a[aria-current=page]{background:#3d4eac}
.side ul{list-style:none;margin:1rem 0;padding:0}
.brand{font-weight:700;font-size:1.1rem}
.main{padding:0 2rem 3rem;min-width:0}
.modebar{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.75rem 0;border-bottom:1px solid #d8dee4;margin-bottom:1.5rem}
.modebar.test{border-bottom:3px solid #b54708}
.mode-label{font-weight:600}
.test .mode-label{color:#8a3a00}
.who{color:#4f566b}
form.inline{display:inline}
.card{background:#fff;border:1px solid #d8dee4;border-radius:6px;padding:1rem 1.25rem;margin:0 0 1.25rem}
table.data{width:100%;border-collapse:collapse;background:#fff}
table.data th{text-align:left;font-weight:600;color:#4f566b;border-bottom:1px solid #d8dee4;padding:.4rem .5rem}
table.data td{border-bottom:1px solid #ebeef1;padding:.45rem .5rem;vertical-align:top}
.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll-x{overflow-x:auto}
.field{display:flex;flex-direction:column;gap:.25rem;margin:0 0 .9rem;max-width:32rem}
fieldset{border:1px solid #d8dee4;border-radius:6px;margin:0 0 1rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
label{font-weight:500}
.check{display:flex;gap:.4rem;align-items:center;margin:.2rem 0}
.check label{font-weight:400}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=url],input[type=search],input[type=datetime-local],select,textarea{font:inherit;padding:.4rem .55rem;border:1px solid #8792a2;border-radius:4px;background:#fff;color:inherit;max-width:32rem;width:100%}
textarea{min-height:6rem}
[aria-invalid=true]{border-color:#b3093c}
.field-error{color:#b3093c;margin:0}
.button{display:inline-block;font:inherit;font-weight:600;padding:.45rem .9rem;border-radius:4px;border:1px solid #3d4eac;background:#3d4eac;color:#fff;cursor:pointer;text-decoration:none}
.button.secondary{background:#fff;color:#3d4eac}
.button.danger{background:#b3093c;border-color:#b3093c}
.link-button{font:inherit;background:none;border:0;padding:0;color:#3d4eac;text-decoration:underline;cursor:pointer}
.side .link-button{color:#fff}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:1rem 0}
.notice{padding:.6rem .9rem;border-radius:4px;margin:0 0 1rem}
.notice-info{background:#e8f0fe;color:#1a3a8a}
.notice-success{background:#e6f4ea;color:#0d5a26}
.notice-error{background:#fde8ec;color:#8a0a2c}
.badge{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:.8rem;font-weight:600}
.badge-neutral{background:#ebeef1;color:#3c4257}
.badge-success{background:#d7f7c2;color:#05570f}
.badge-info{background:#cff5f6;color:#0a4c63}
.badge-warning{background:#fcedb9;color:#6e3900}
.badge-danger{background:#ffe7f2;color:#8f0a32}
.muted{color:#4f566b}
.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
pre{background:#fff;border:1px solid #d8dee4;padding:.75rem;overflow:auto;max-height:28rem;white-space:pre-wrap;word-break:break-all}
.secret{background:#fff7e0;padding:.2rem .4rem;border-radius:4px;word-break:break-all}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}
.stat{font-size:1.6rem;font-weight:700;margin:0}
svg.chart{width:100%;height:auto;max-width:28rem}
svg.chart .bar{fill:#3d4eac}
svg.chart .bar-alt{fill:#b54708}
svg.chart text{font-size:10px;fill:#3c4257}
.legend-alt{color:#8a3a00}
.signin{max-width:24rem;margin:10vh auto;background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:2rem}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
input[type=tel]{font:inherit;padding:.4rem .55rem;border:1px solid #8792a2;border-radius:4px;background:#fff;color:inherit;max-width:32rem;width:100%}
.branding{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.2fr);gap:1.5rem;align-items:start}
.thumb{max-width:8rem;max-height:3rem;object-fit:contain;background:#fff;border:1px solid #d8dee4;padding:.25rem}
.contrast-warnings{margin:-.5rem 0 .9rem;padding:0;list-style:none;max-width:32rem}
.warning{background:#fff4e5;color:#6e3900;border-left:3px solid #b54708;padding:.4rem .6rem;margin:0 0 .4rem}
.preview-card{position:sticky;top:1rem}
.preview-frame{width:100%;height:42rem;border:1px solid #d8dee4;border-radius:4px;background:#fff}
@media (max-width:64rem){.branding{grid-template-columns:1fr}.preview-card{position:static}}
@media (max-width:48rem){.frame{grid-template-columns:1fr}.main{padding:0 1rem 2rem}}
`;

export const DASHBOARD_CSS_VERSION = createHash('sha256').update(DASHBOARD_CSS).digest('hex').slice(0, 12);
