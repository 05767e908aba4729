/**
 * A real browser for the portal's journeys: Debian's Chromium driven by playwright-core, with
 * axe-core for accessibility. The browser is found at PORTICO_CHROMIUM or the usual Debian paths.
 * CI installs it (.ci/run) and must run these tests; on a developer machine without Chromium the
 * browser tests are reported as skipped, with the reason and the command that installs it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

const CANDIDATES = [process.env.PORTICO_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function chromiumPath(): string | null {
  return CANDIDATES.find((p): p is string => typeof p === 'string' && p !== '' && existsSync(p)) ?? null;
}

/** Why browser tests cannot run here (null: they can). In CI a missing browser is a failure, not a skip. */
export function browserSkipReason(): string | null {
  if (chromiumPath() !== null) return null;
  if (process.env.CI === 'true') throw new Error('Chromium is required in CI (set PORTICO_CHROMIUM or apt-get install chromium)');
  return 'Chromium is not installed (apt-get install -y chromium, or set PORTICO_CHROMIUM)';
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('Chromium not found');
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page (WCAG 2 A and AA rules). It is evaluated through the DevTools protocol,
 * which the page's CSP does not govern, so the page keeps its real CSP while it is checked.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}
