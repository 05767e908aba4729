/**
 * A browser-like client for the login page tests: requests through node:http from a chosen loopback
 * source address (127.0.0.x), so each test can be its own client IP for the per-IP limit, and helpers
 * to read the pages.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let nextIp = 10;
/** A fresh loopback source address: a client the per-IP limit has not seen. */
export const freshIp = () => `127.0.0.${nextIp++}`;

export function send(base: string, method: string, path: string, opts: { form?: Record<string, string>; body?: string | Buffer; headers?: Record<string, string>; ip?: string } = {}): Promise<Res> {
  const url = new URL(path, base);
  const body = opts.form ? new URLSearchParams(opts.form).toString() : opts.body;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: false,
        localAddress: opts.ip ?? '127.0.0.1',
        headers: {
          ...(body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? assert.fail(`no CSRF field in ${html}`);
export const pathOf = (url: string) => new URL(url).pathname;
export const LINK = /(http:\/\/[^\s"<>]+\/p\/login\/[A-Za-z0-9_-]{43}\/verify\/[A-Za-z0-9_-]{43})/;

/**
 * Uses an emailed link as a person does: opens it (a page that changes nothing) and presses its one
 * button (a POST with the page's CSRF token and account, from the server's own origin). Returns the
 * POST's answer, or the page when it has no button (an invalid link).
 */
export async function useLink(base: string, path: string, opts: { ip?: string } = {}): Promise<Res> {
  const page = await send(base, 'GET', path, opts);
  if (page.status !== 200) return page;
  const customer = /name="customer" value="([^"]+)"/.exec(page.body)?.[1] ?? assert.fail(`no account on ${page.body}`);
  return send(base, 'POST', path, { ...opts, form: { csrf: csrfOf(page.body), customer }, headers: { Origin: base } });
}
