/**
 * The data-directory lock dies with its holder (issue 12, item 2). A Portico killed inside a container
 * restarts as pid 1 again and finds pid 1 in the lock: the restart must take it over. `unshare --pid
 * --fork --mount-proc` gives each run a fresh pid namespace, as a container does (the test machine runs
 * as root; without unshare the test fails, it does not skip). Also: a live holder in another process
 * still keeps a second one out, and a pid reused by another program does not hold the lock.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lockDataDir, processStartTime } from './lock.ts';

const LOCK_MODULE = fileURLToPath(new URL('./lock.ts', import.meta.url));

/** A program that takes the lock on `dir`, says `locked <pid>` (or the error), and then waits or exits. */
const holder = (dir: string, then: 'wait' | 'exit') => [
  '--import',
  'tsx',
  '--input-type=module',
  '-e',
  `import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
   try { lockDataDir(${JSON.stringify(dir)}); console.log('locked ' + process.pid); }
   catch (err) { console.log('refused: ' + err.message); process.exit(3); }
   ${then === 'wait' ? 'setInterval(() => {}, 1000);' : 'process.exit(0);'}`,
];

/** Resolves with the first line the child prints. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code} before a line: ${out}${err}`)));
    child.on('error', reject);
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

/** The host pid of unshare's forked child (pid 1 of its namespace). */
function namespaceInit(unsharePid: number): number {
  const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(/\s+/);
  assert.equal(children.length, 1, `unshare has one child: ${children.join(' ')}`);
  return Number(children[0]);
}

test('a Portico killed in a container (pid 1) restarts in a new one and takes its lock over', { timeout: 120_000 }, async () => {
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']);
  assert.equal(probe.error, undefined, `unshare must be available: ${probe.error?.message}`);
  assert.equal(probe.status, 0, `unshare --pid --fork --mount-proc must work here: ${probe.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'portico-lock-ns-'));
  try {
    const first = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, ...holder(dir, 'wait')], { stdio: 'pipe' });
    assert.equal(await firstLine(first), 'locked 1', 'the first run is pid 1 of its namespace');
    const init = namespaceInit(first.pid!);
    process.kill(init, 'SIGKILL'); // a crash: no release
    await exited(first);
    assert.match(readFileSync(join(dir, 'portico.lock'), 'utf8'), /^1 \d+ [0-9a-f-]{36}\n$/, 'the crash left its lock behind');

    const second = spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, ...holder(dir, 'exit')], { stdio: 'pipe' });
    assert.equal(await firstLine(second), 'locked 1', 'the restart (pid 1 again) takes the lock over');
    assert.equal(await exited(second), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a live holder in another process keeps the lock; a reused pid or another boot does not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portico-lock-'));
  try {
    const release = lockDataDir(dir);
    const other = spawn(process.execPath, holder(dir, 'exit'), { stdio: 'pipe' });
    assert.match(await firstLine(other).catch((e: Error) => e.message), /refused: .*in use by another Portico process \(pid \d+\)/);
    release();

    // The lock names a live process (this one's parent) but with another start time: a reused pid.
    const ppid = process.ppid;
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    writeFileSync(join(dir, 'portico.lock'), `${ppid} ${Number(processStartTime(ppid)) + 1} ${boot}\n`);
    lockDataDir(dir)();
    // The same live process, from before a reboot.
    writeFileSync(join(dir, 'portico.lock'), `${ppid} ${processStartTime(ppid)} 00000000-0000-0000-0000-000000000000\n`);
    lockDataDir(dir)();
    // The same live process, this boot: held.
    writeFileSync(join(dir, 'portico.lock'), `${ppid} ${processStartTime(ppid)} ${boot}\n`);
    assert.throws(() => lockDataDir(dir), /in use by another Portico process/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
