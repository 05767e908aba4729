/**
 * A real SMTP server for tests (`smtp-server`, no TLS, no auth) that parses every message it accepts
 * with `mailparser`. A message is recorded before the server answers the DATA command, so once the
 * sender's `sendMail` has resolved, the message is in `messages`.
 */
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  /** Envelope recipients. */
  to: string[];
  from: string | null;
  parsed: ParsedMail;
}

export interface MailCatcher {
  url: string;
  messages: CaughtMail[];
  /** Recipients the server refuses (550), as a real one refuses an unknown mailbox. */
  refuse: Set<string>;
  close(): Promise<void>;
}

export async function startMailCatcher(): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!refuse.has(address.address)) return callback();
      callback(Object.assign(new Error(`Mailbox unavailable: ${address.address}`), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          const mailFrom = session.envelope.mailFrom;
          messages.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: mailFrom ? mailFrom.address : null,
            parsed,
          });
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuse,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
