/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The audit log: every administrator change (who, what, when, before and after), newest first,
 * filterable; like every page it lists the mode being viewed (changes made while viewing the other
 * mode are listed there).
 */
import type { Hono } from 'hono';
import { listAudit } from '../../admin/audit.ts';
import type { DashEnv, DashKit } from './kit.tsx';
import { fmtTime } from './layout.tsx';
import { m } from './messages.ts';

export function registerAudit(dash: Hono<DashEnv>, kit: DashKit): void {
  dash.get('/audit', async (c) => {
    const action = (c.req.query('action') ?? '').trim().slice(0, 100);
    const object = (c.req.query('object') ?? '').trim().slice(0, 200);
    const who = (c.req.query('who') ?? '').trim().slice(0, 254);
    const entries = await listAudit(kit.deps.db, {
      ...(action ? { action } : {}),
      ...(object ? { objectId: object } : {}),
      ...(who ? { administrator: who } : {}),
      livemode: c.get('session').livemode,
    }, 200);
    return kit.html(
      c,
      m.nav.audit,
      <>
        <form method="get" action="/dashboard/audit" class="card" role="search">
          <div class="grid">
            <div class="field"><label for="a-action">Action starts with</label><input id="a-action" type="text" name="action" value={action} /></div>
            <div class="field"><label for="a-object">Object id</label><input id="a-object" type="text" name="object" value={object} /></div>
            <div class="field"><label for="a-who">Administrator email</label><input id="a-who" type="email" name="who" value={who} /></div>
          </div>
          <button class="button secondary" type="submit">Filter</button>
        </form>
        {entries.length === 0 ? <p class="muted">No entries.</p> : (
          <div class="scroll-x">
            <table class="data">
              <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Object</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
              <tbody>
                {entries.map((e) => (
                  <tr data-action={e.action}>
                    <td>{fmtTime(e.created)}</td>
                    <td>{e.administratorEmail}</td>
                    <td>{e.action}</td>
                    <td class="mono">{e.objectId ?? ''}</td>
                    <td>{e.before === null || e.before === undefined ? '' : <details><summary>Before</summary><pre tabindex={0}>{JSON.stringify(e.before, null, 2)}</pre></details>}</td>
                    <td>{e.after === null || e.after === undefined ? '' : <details><summary>After</summary><pre tabindex={0}>{JSON.stringify(e.after, null, 2)}</pre></details>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </>,
    );
  });
}
