import nodemailer, { type Transporter } from "nodemailer";
import type { PrismaClient } from "~/generated/prisma/client";
import { db } from "~/server/db";
import { appEnv } from "~/server/env";
import { openBody, outboxKey, redactLinks, sealBody, type OutboxBody } from "~/server/outbox";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  /** `smtp`: the addressee receives it. `outbox`: kept in the product, where only instance admins read it. */
  readonly delivery: "smtp" | "outbox";
  send(message: MailMessage): Promise<void>;
  /** A kept mail's full body, or null when it was sealed under another key (or not by the app). */
  openKept?(mail: { to: string; sealed: string }): OutboxBody | null;
}

/** SMTP when a URL is configured; otherwise the outbox table, links redacted and the whole mail sealed. */
export function createMailer(opts: { smtpUrl?: string; from: string; db: PrismaClient; secret: string }): Mailer {
  const key = outboxKey(opts.secret);
  // Mails kept before SMTP was set up stay readable to admins.
  const openKept = (mail: { to: string; sealed: string }) => openBody(key, mail.to, mail.sealed);
  if (opts.smtpUrl) {
    const transport: Transporter = nodemailer.createTransport(opts.smtpUrl);
    return {
      delivery: "smtp",
      openKept,
      async send(message) {
        await transport.sendMail({ from: opts.from, ...message });
      },
    };
  }
  return {
    delivery: "outbox",
    openKept,
    async send(message) {
      await opts.db.outboxMail.create({
        data: {
          to: message.to,
          subject: message.subject,
          text: redactLinks(message.text),
          sealed: sealBody(key, message.to, { text: message.text, html: message.html ?? "" }),
        },
      });
    },
  };
}

const globalForMail = globalThis as unknown as { prismMailer?: Mailer };

/** The process's one mailer (an SMTP transport keeps its pool), made on first use. */
export function appMailer(): Mailer {
  globalForMail.prismMailer ??= createMailer({ smtpUrl: appEnv().SMTP_URL, from: appEnv().MAIL_FROM, db: db(), secret: appEnv().NEXTAUTH_SECRET });
  return globalForMail.prismMailer;
}

/** Whether mail reaches its addressee; without SMTP, links are handed over in the app instead. */
export function mailIsDelivered(): boolean {
  return appMailer().delivery === "smtp";
}
