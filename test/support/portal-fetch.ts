/** A portal page fetched with a session cookie (`fetch`, no browser): GET, or POST of a form from the portal's origin. */
export async function visitPortal(baseUrl: string, path: string, cookie: string, form?: Record<string, string>) {
  const res = await fetch(path.startsWith('http') ? path : `${baseUrl}${path}`, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      Cookie: cookie,
      'Accept-Language': 'en',
      ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: baseUrl } : {}),
    },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}
