/**
 * Where a branding colour fails WCAG 2.x AA contrast (4.5:1 for text), with the theme's own maths
 * (`foundation/theme.ts`): the portal never shows unreadable text (the theme picks white, dark or
 * black text and darkens links), but the merchant should know when their colour is being worked
 * around, so the dashboard warns beside the field. Pure: the branding page renders the result.
 *
 * - Primary colour (the business column): text on it fails when neither white nor the portal's
 *   dark ink reaches 4.5:1 (the theme then falls back to pure black).
 * - Secondary colour (buttons, links, focus rings): as a button, the same test for its label; as
 *   links on the white page, its own contrast with white (the theme then darkens it).
 */
import { AA_NORMAL_TEXT, INK, WHITE, buildTheme, contrastRatio, parseHexColor } from '../foundation/theme.ts';

export interface ContrastWarning {
  /** The API param the warning belongs to. */
  field: 'settings[branding][primary_color]' | 'settings[branding][secondary_color]';
  message: string;
}

/** A ratio as WCAG writes it, rounded down (4.49 must not read as 4.5). */
export const ratioText = (r: number) => `${(Math.floor(r * 100) / 100).toFixed(2)}:1`;

/** The contrast warnings for a draft of the two colours (invalid or empty colours have none: the default applies). */
export function contrastWarnings(colors: { primary: string | null; secondary: string | null }): ContrastWarning[] {
  const out: ContrastWarning[] = [];
  const primary = parseHexColor(colors.primary);
  const secondary = parseHexColor(colors.secondary);
  const theme = buildTheme({ brandColor: colors.primary, accentColor: colors.secondary });
  const bestText = (bg: string) => Math.max(contrastRatio(WHITE, bg), contrastRatio(INK, bg));
  if (primary) {
    const best = bestText(theme.brand);
    if (best < AA_NORMAL_TEXT) {
      out.push({
        field: 'settings[branding][primary_color]',
        message: `Text on ${theme.brand} reaches only ${ratioText(best)} in white or dark ink (WCAG AA asks 4.5:1): the portal shows it in black (${ratioText(contrastRatio(theme.onBrand, theme.brand))}).`,
      });
    }
  }
  if (secondary) {
    const best = bestText(theme.accent);
    if (best < AA_NORMAL_TEXT) {
      out.push({
        field: 'settings[branding][secondary_color]',
        message: `Button labels on ${theme.accent} reach only ${ratioText(best)} in white or dark ink (WCAG AA asks 4.5:1): the portal writes them in black (${ratioText(contrastRatio(theme.onAccent, theme.accent))}).`,
      });
    }
    const onWhite = contrastRatio(theme.accent, WHITE);
    if (onWhite < AA_NORMAL_TEXT) {
      out.push({
        field: 'settings[branding][secondary_color]',
        message: `As links on the white page ${theme.accent} has ${ratioText(onWhite)} (WCAG AA asks 4.5:1): the portal shows links in the darker ${theme.link} (${ratioText(contrastRatio(theme.link, WHITE))}).`,
      });
    }
  }
  return out;
}
