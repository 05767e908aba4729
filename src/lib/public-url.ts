/**
 * The server's public base URL (`PORTICO_PUBLIC_URL`, or where it listens), which every link Portico
 * hands out starts with: hosted invoices, portal sessions, login pages. Set once by the composition root.
 */
let baseUrl = 'http://127.0.0.1:4000';

export function setPublicBaseUrl(url: string): void {
  baseUrl = url.replace(/\/+$/, '');
}

export function publicBaseUrl(): string {
  return baseUrl;
}

/** True for an absolute http(s) URL: the only kind Portico accepts for return and redirect links. */
export function isHttpUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}
