/**
 * URL checks for anything a merchant or the API supplies that ends up in an `href` or `src`. hono/jsx
 * escapes attribute values but cannot know that `javascript:` is dangerous, so every link goes through
 * these first.
 */

/**
 * The URL, normalized, when it is absolute http or https; otherwise null.
 * @example safeHttpUrl('javascript:alert(1)') // null
 */
export function safeHttpUrl(value: string | null | undefined): string | null {
  if (typeof value !== 'string' || value.length > 2048) return null;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null;
  return url.href;
}

/** Like `safeHttpUrl` but https only: images must load under CSP `img-src 'self' data: https:`. */
export function safeImageUrl(value: string | null | undefined): string | null {
  const href = safeHttpUrl(value);
  return href && href.startsWith('https://') ? href : null;
}
