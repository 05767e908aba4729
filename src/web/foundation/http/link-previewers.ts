/**
 * Link previewers: the bots chat apps and social sites send to fetch a pasted link for its preview
 * card. They run no script and keep no cookie, so a one-time link they open is spent for nobody; pages
 * that spend a link on GET (the portal session URL) answer them without spending it. Listed by the
 * names their user agents carry (as each service documents them); not in-app browsers (Teams, Snapchat,
 * Instagram… open links for a person, and their user agents name the app), which must still work.
 */
const PREVIEWERS =
  /\b(slackbot|slack-imgproxy|facebookexternalhit|facebookcatalog|meta-externalagent|twitterbot|discordbot|whatsapp|telegrambot|linkedinbot|skypeuripreview|microsoftpreview|applebot|iframely|embedly|pinterestbot|redditbot|mastodon|bitlybot|vkshare|google-pagerenderer|googlebot|bingbot|bingpreview|yandexbot|duckduckbot)\b/i;

/**
 * Whether a request comes from a link previewer or crawler, by its User-Agent.
 * @example isLinkPreviewer('Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)') // true
 */
export function isLinkPreviewer(userAgent: string | undefined): boolean {
  return userAgent !== undefined && PREVIEWERS.test(userAgent);
}
