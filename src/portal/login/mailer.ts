/**
 * Delivery of login emails: over SMTP (`PORTICO_SMTP_URL`, through nodemailer) with a plain-text and
 * an HTML part, or, when no SMTP is configured, one line in the server log with the link and the
 * masked address (for development: whoever reads the log can sign in as that customer).
 */
import nodemailer from 'nodemailer';
import { maskEmail } from './links.ts';

export interface LoginEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The sign-in link the message carries (what the log fallback prints). */
  link: string;
}

export interface LoginMailer {
  /** Resolves once the message is handed to the SMTP server (or logged); rejects if SMTP fails. */
  send(email: LoginEmail): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl: string | null;
  from: string;
  /** Where the no-SMTP fallback writes its line (default: stdout). */
  log?: (line: string) => void;
}

export function createLoginMailer(opts: MailerOptions): LoginMailer {
  const log = opts.log ?? ((line: string) => console.log(line));
  if (!opts.smtpUrl) {
    return {
      async send(email) {
        log(`[portico] login link for ${maskEmail(email.to)} (PORTICO_SMTP_URL is not set, so it is logged instead of emailed): ${email.link}`);
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport(
    { url: opts.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 },
    { from: opts.from },
  );
  return {
    async send(email) {
      await transport.sendMail({ to: email.to, subject: email.subject, text: email.text, html: email.html });
    },
    close() {
      transport.close();
    },
  };
}
