import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTRPCContext } from "~/server/api/trpc";
import { createCaller } from "~/server/api/root";
import { createMailer } from "~/server/mail";
import { REDACTED_LINK } from "~/server/outbox";
import { createTestApp, type TestApp } from "~/testing/app";
import { mailText, startTestSmtpServer } from "~/testing/smtp";

const TEST_SECRET = "mail-test-secret-0123456789";

let app: TestApp;
let smtp: Awaited<ReturnType<typeof startTestSmtpServer>>;

beforeAll(async () => {
  app = await createTestApp();
  smtp = await startTestSmtpServer();
});
afterAll(async () => {
  await smtp?.stop();
  await app?.close();
});

describe("mail", () => {
  it("sends the verification mail over SMTP when SMTP_URL is set, and the link verifies", async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: "Prism <no-reply@prism.test>", db: app.db, secret: TEST_SECRET });
    const caller = createCaller(createTRPCContext({ user: null, db: app.db, mailer, appUrl: "http://prism.test" }));
    const { userId } = await caller.account.signUp({ email: "smtp@example.com", name: "Smtp", password: "a long password" });
    const mail = smtp.mails.find((received) => received.to.includes("smtp@example.com"));
    expect(mail).toBeDefined();
    const text = mailText(mail!.raw);
    expect(text).toContain("Subject: Verify your email for Prism");
    const token = text.match(/\/verify\?token=([\w-]+)/)?.[1];
    expect(token).toBeTruthy();
    await caller.account.verifyEmail({ token: token! });
    expect((await app.db.user.findUniqueOrThrow({ where: { id: userId }, select: { emailVerifiedAt: true } })).emailVerifiedAt).not.toBeNull();
    expect(await app.db.outboxMail.count()).toBe(0);
  });

  it("keeps mail in the outbox when no SMTP_URL is set, its link only in the sealed copy", async () => {
    const mailer = createMailer({ from: "Prism <no-reply@prism.test>", db: app.db, secret: TEST_SECRET });
    await mailer.send({
      to: "outbox@example.com",
      subject: "Hello",
      text: "Open http://prism.test/reset?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG now",
    });
    const kept = await app.db.outboxMail.findFirstOrThrow({
      where: { to: "outbox@example.com" },
      select: { to: true, subject: true, text: true, sealed: true },
    });
    expect(kept.subject).toBe("Hello");
    expect(kept.text).toBe(`Open ${REDACTED_LINK} now`);
    expect(kept.sealed).not.toContain("abcdefghijklmnopqrstuvwxyz");
    expect(mailer.openKept?.(kept)?.text).toBe("Open http://prism.test/reset?token=abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG now");
  });
});
