/**
 * One process per embedded data directory: PGlite files opened by two processes corrupt each other.
 *
 * The lock is a file created exclusively, naming its holder as `pid start boot`: the pid, the
 * process's start time (field 22 of `/proc/<pid>/stat`, clock ticks since boot) and the kernel's boot
 * id (`/proc/sys/kernel/random/boot_id`). The lock is held only while a process with that pid *and*
 * that start time runs on that boot, so it dies with its holder: a crashed Portico restarted in a
 * container (pid 1 again, finding "itself" in the file), a pid reused by another program, or a file
 * left over from before a reboot are all taken over. Without `/proc` (macOS), a pid that is alive
 * counts, unless it is this process's own.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {}

/** Who holds a lock: what the file says. */
interface Holder {
  pid: number;
  /** Start time in clock ticks since boot; null when /proc could not tell (or a file of an older Portico). */
  start: string | null;
  boot: string | null;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command, which may hold spaces). */
export function processStartTime(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null; // fields[0] is field 3 (state)
}

const bootId = (): string | null => readOrNull('/proc/sys/kernel/random/boot_id')?.trim() || null;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(text: string): Holder | null {
  const [pid, start, boot] = text.trim().split(/\s+/);
  const n = Number.parseInt(pid ?? '', 10);
  if (!Number.isInteger(n) || n <= 0) return null;
  return { pid: n, start: start ?? null, boot: boot ?? null };
}

/** Whether the holder the file names still runs. */
function holds(holder: Holder): boolean {
  const boot = bootId();
  if (holder.start !== null && holder.boot !== null && boot !== null) {
    return holder.boot === boot && processStartTime(holder.pid) === holder.start;
  }
  // No /proc, or a file written without it: the pid alone, but never our own (we hold nothing yet).
  return holder.pid !== process.pid && alive(holder.pid);
}

/** Directories this process holds, so a second open within it is refused too. */
const heldHere = new Set<string>();

/** Takes the lock on `dir` or throws DataDirLockedError; returns the function that releases it. */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, 'portico.lock');
  if (heldHere.has(file)) throw new DataDirLockedError(`The data directory ${dir} is already open in this process.`);
  const me = [process.pid, processStartTime(process.pid), bootId()].filter((v) => v !== null).join(' ');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${me}\n`);
      closeSync(fd);
      heldHere.add(file);
      return () => {
        heldHere.delete(file);
        rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = parse(readOrNull(file) ?? '');
      if (holder && holds(holder)) {
        throw new DataDirLockedError(
          `The data directory ${dir} is in use by another Portico process (pid ${holder.pid}). ` +
            'Stop it, or set PORTICO_DATA_DIR to another directory.',
        );
      }
      rmSync(file, { force: true }); // stale: its holder is gone
    }
  }
  throw new DataDirLockedError(`Could not lock the data directory ${dir}.`);
}
