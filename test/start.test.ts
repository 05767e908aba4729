/**
 * `portico start` (what `npm start` runs) on a fresh embedded database, as a new user meets it: it
 * prints the keys, a portal link that opens the demo customer's portal, the login page, and the
 * listening line; a second start on the same data prints a new working link and seeds nothing again.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const dataDir = mkdtempSync(join(tmpdir(), 'portico-start-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

async function start(): Promise<{ child: ChildProcess; output: string; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    env: { ...process.env, PORT: '0', PORTICO_DATA_DIR: dataDir, DATABASE_URL: '', PORTICO_PUBLIC_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Portico listening on (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  return { child, output, url };
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function openPortal(link: string): Promise<string> {
  const first = await fetch(link, { redirect: 'manual' });
  assert.equal(first.status, 303);
  const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
  const home = await fetch(new URL(first.headers.get('location')!, link), { headers: { Cookie: cookie } });
  assert.equal(home.status, 200);
  return home.text();
}

test('first start prints keys and a portal link that opens; a restart prints a new one', { timeout: 180_000 }, async () => {
  const one = await start();
  let link: string;
  try {
    assert.match(one.output, /Test secret key: +sk_test_\w+/);
    assert.match(one.output, /Live secret key: +sk_live_\w+/);
    assert.match(one.output, /Seeded the test-mode demo/);
    link = /Customer portal[^:]*: (\S+)/.exec(one.output)![1]!;
    assert.ok(link.startsWith(`${one.url}/p/session/`), link);
    assert.match(one.output, new RegExp(`Portal login page .*: ${one.url}/p/login/\\S+`));
    const home = await openPortal(link);
    assert.match(home, /Starter/);
    assert.match(home, /\$9\.00/);
    // The dashboard's URL and the first administrator's one-time password, which signs in.
    assert.match(one.output, new RegExp(`Dashboard: ${one.url}/dashboard`));
    const [, email, password] = /First administrator: (\S+), one-time password: (\S+)/.exec(one.output)!;
    const form = await (await fetch(`${one.url}/dashboard/sign-in`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(form)![1]!;
    const signIn = await fetch(`${one.url}/dashboard/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: one.url },
      body: new URLSearchParams({ csrf, email: email!, password: password! }).toString(),
    });
    assert.equal(signIn.status, 303);
    assert.match(signIn.headers.get('set-cookie') ?? '', /portico_dashboard=.*HttpOnly.*SameSite=Strict/i);
  } finally {
    await stop(one.child);
  }
  const two = await start();
  try {
    assert.doesNotMatch(two.output, /Seeded the test-mode demo/);
    assert.doesNotMatch(two.output, /one-time password/);
    const again = /Customer portal[^:]*: (\S+)/.exec(two.output)![1]!;
    assert.notEqual(again, link);
    assert.match(await openPortal(again), /Starter/);
  } finally {
    await stop(two.child);
  }
});
