/**
 * One process per embedded data directory: PGlite files opened by two processes corrupt each other.
 * The lock is a file holding the owner's pid, created exclusively; a lock left by a dead process is
 * taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock on `dir` or throws DataDirLockedError; returns the function that releases it. */
export function lockDataDir(dir: string): () => void {
  const file = join(dir, 'portico.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(owner) && alive(owner)) {
        throw new DataDirLockedError(
          `The data directory ${dir} is in use by another Portico process (pid ${owner}). ` +
            'Stop it, or set PORTICO_DATA_DIR to another directory.',
        );
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new DataDirLockedError(`Could not lock the data directory ${dir}.`);
}
