/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The test 3-D Secure challenge, as Stripe's test page offers it: the customer chooses what the bank
 * answers ("Complete" or "Fail" authentication). Used for every portal action the test processor asks
 * to authenticate: adding a card, paying an invoice.
 */
import { CsrfField, Notice, PageHeading, Section } from '../../foundation/components.tsx';
import { PortalLayout, renderPortalPage } from '../../foundation/layout.tsx';
import type { PortalRequest } from '../session-context.ts';

export interface ChallengeView {
  id: string;
  /** Formatted amount of a payment; null when a card is being set up. */
  amount: string | null;
  pending: boolean;
  returnTo: string;
}

export async function renderChallengePage(p: PortalRequest, v: ChallengeView): Promise<string> {
  const t = p.t;
  return renderPortalPage(
    <PortalLayout locale={p.locale} t={t} title={t.threeDsTitle} business={p.business} returnUrl={p.returnUrl}>
      <PageHeading>{t.threeDsTitle}</PageHeading>
      <Section id="three-d-secure" title={t.threeDsTitle}>
        {v.pending ? (
          <>
            <p>{v.amount === null ? t.threeDsSetupIntro : t.threeDsPaymentIntro(v.amount)}</p>
            <Notice kind="info">{t.threeDsTestNotice}</Notice>
            <div class="actions">
              <form class="inline" method="post" action={`/p/authenticate/${v.id}`}>
                <CsrfField token={p.csrfToken} />
                <input type="hidden" name="result" value="complete" />
                <button class="button" type="submit">
                  {t.threeDsComplete}
                </button>
              </form>
              <form class="inline" method="post" action={`/p/authenticate/${v.id}`}>
                <CsrfField token={p.csrfToken} />
                <input type="hidden" name="result" value="fail" />
                <button class="button danger" type="submit">
                  {t.threeDsFail}
                </button>
              </form>
            </div>
          </>
        ) : (
          <>
            <p>{t.threeDsResolved}</p>
            <p class="actions">
              <a class="button secondary" href={v.returnTo}>
                {t.back}
              </a>
            </p>
          </>
        )}
      </Section>
    </PortalLayout>,
  );
}
