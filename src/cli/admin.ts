/**
 * `portico admin create <email>`: adds a dashboard administrator. On a terminal it asks for the
 * password twice (not echoed); otherwise (a script, CI) it generates one and prints it once.
 */
import { createInterface } from 'node:readline';
import { AdminError, createAdministrator } from '../admin/administrators.ts';
import { generatePassword, MIN_PASSWORD_LENGTH } from '../admin/passwords.ts';
import type { Clock } from '../lib/clock.ts';
import type { Db } from '../storage/database.ts';

/** Reads one line from a TTY without echoing it. */
function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    let muted = false;
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (!muted) write(s);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

export async function adminCreate(db: Db, clock: Clock, email: string, log: (line: string) => void): Promise<number> {
  let password: string;
  let generated = false;
  if (process.stdin.isTTY) {
    password = await askHidden(`Password for ${email} (at least ${MIN_PASSWORD_LENGTH} characters): `);
    const again = await askHidden('Repeat the password: ');
    if (again !== password) {
      log('The passwords differ; nothing was created.');
      return 1;
    }
  } else {
    password = generatePassword();
    generated = true;
  }
  try {
    const admin = await createAdministrator(db, clock.now(), email, password);
    log(`Created administrator ${admin.email}.`);
    if (generated) log(`Password (shown once; change it in the dashboard under "Your account"): ${password}`);
    return 0;
  } catch (err) {
    if (err instanceof AdminError) {
      log(err.message);
      return 1;
    }
    throw err;
  }
}
