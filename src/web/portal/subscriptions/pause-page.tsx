/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/** Pausing: the configured durations as a plain radio form ("Until I resume it", "For 1 month", …). */
import type { Subscription } from '../../../billing/subscriptions/index.ts';
import type { PauseDuration } from '../../../portal/subscriptions/pause.ts';
import { CsrfField, Notice, Section } from '../../foundation/components.tsx';
import type { PortalRequest } from '../session-context.ts';
import { frame } from './common.tsx';

function durationText(p: PortalRequest, d: PauseDuration): string {
  if (d.kind === 'indefinite') return p.t.pauseIndefinitely;
  const amount = new Intl.NumberFormat(p.locale, { style: 'unit', unit: d.interval, unitDisplay: 'long' }).format(d.count);
  return p.t.pauseFor(amount);
}

export function renderPausePage(p: PortalRequest, sub: Subscription, durations: { value: string; duration: PauseDuration }[], version: string): Promise<string> {
  const t = p.t;
  return frame(
    p,
    t.pauseTitle,
    <Section id="pause" title={t.pauseTitle}>
      <Notice kind="info">{t.pauseNote}</Notice>
      <form method="post" action={`/p/subscriptions/${sub.id}/pause`}>
        <CsrfField token={p.csrfToken} />
        <input type="hidden" name="version" value={version} />
        <fieldset>
          <legend>{t.pauseTitle}</legend>
          {durations.map((d, i) => (
            <label class="choice">
              <input type="radio" name="duration" value={d.value} checked={i === 0} required />
              <span>{durationText(p, d.duration)}</span>
            </label>
          ))}
        </fieldset>
        <p class="actions">
          <button class="button" type="submit">
            {t.pauseTitle}
          </button>
        </p>
      </form>
    </Section>,
  );
}
