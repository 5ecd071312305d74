import nodemailer, { type Transporter } from "nodemailer";
import type { PrismaClient } from "~/generated/prisma/client";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** SMTP when a URL is configured; otherwise the dev outbox table, readable at /dev/outbox. */
export function createMailer(opts: { smtpUrl?: string; from: string; db: PrismaClient }): Mailer {
  if (opts.smtpUrl) {
    const transport: Transporter = nodemailer.createTransport(opts.smtpUrl);
    return {
      async send(message) {
        await transport.sendMail({ from: opts.from, ...message });
      },
    };
  }
  return {
    async send(message) {
      await opts.db.outboxMail.create({ data: { to: message.to, subject: message.subject, text: message.text, html: message.html ?? "" } });
    },
  };
}
