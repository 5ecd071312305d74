import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { checkCredentials } from "~/server/auth/credentials";
import { verifyPassword } from "~/server/auth/password";
import { renewedVersion } from "~/server/auth/session-version";
import { detachedWorkSettled } from "~/server/detached";
import { createMailer, type Mailer, type MailMessage } from "~/server/mail";
import { createTestApp, TEST_APP_URL, tokenFromMail, type TestApp } from "~/testing/app";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app?.close();
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

describe("sign-up, verification and password reset", () => {
  it("creates the user as owner of a new organisation and mails a verification link", async () => {
    const { user, orgId } = await app.signUp("ada@example.com", "Ada");
    const membership = await app.db.membership.findFirstOrThrow({
      where: { userId: user.id },
      select: { role: true, organization: { select: { name: true } } },
    });
    expect(membership.role).toBe("owner");
    expect(membership.organization.name).toBe("Ada's team");
    expect(orgId).toBeTruthy();
    expect((await app.caller(user).account.me()).verified).toBe(false);
    const token = tokenFromMail(app.mails, "ada@example.com", "/verify?token=");
    await app.caller(null).account.verifyEmail({ token });
    expect((await app.caller(user).account.me()).verified).toBe(true);
  });

  it("refuses a verification link used twice with a clear message", async () => {
    await app.signUp("twice@example.com");
    const token = tokenFromMail(app.mails, "twice@example.com", "/verify?token=");
    await app.caller(null).account.verifyEmail({ token });
    await expect(app.caller(null).account.verifyEmail({ token })).rejects.toThrow("already been used");
  });

  it("stores only hashes of passwords and link tokens", async () => {
    await app.signUp("hash@example.com");
    const token = tokenFromMail(app.mails, "hash@example.com", "/verify?token=");
    const user = await app.db.user.findUniqueOrThrow({
      where: { email: "hash@example.com" },
      select: { passwordHash: true, authTokens: { select: { tokenHash: true } } },
    });
    expect(user.passwordHash).not.toContain("correct horse");
    expect(await verifyPassword("correct horse battery", user.passwordHash)).toBe(true);
    expect(user.authTokens.map((row) => row.tokenHash)).not.toContain(token);
  });

  it("answers a sign-up for a taken email (in any case) like a new one, creates nothing and tells the owner by mail", async () => {
    await app.signUp("dup@example.com");
    const users = await app.db.user.count();
    const taken = await app.caller(null).account.signUp({ email: "DUP@example.com", name: "Dup", password: "another password" });
    const fresh = await app.caller(null).account.signUp({ email: "fresh-dup@example.com", name: "Dup", password: "another password" });
    expect(Object.keys(taken).sort()).toEqual(Object.keys(fresh).sort());
    expect(taken).toMatchObject({ verified: false, organizationId: null, instanceAdmin: false });
    expect(taken.userId).toMatch(/^c[0-9a-z]{24}$/);
    expect(fresh.userId).toMatch(/^c[0-9a-z]{24}$/);
    expect(await app.db.user.count()).toBe(users + 1);
    // The original password still signs in; the notice links to sign-in and reset.
    const owner = await app.db.user.findUniqueOrThrow({ where: { email: "dup@example.com" }, select: { passwordHash: true } });
    expect(await verifyPassword("correct horse battery", owner.passwordHash)).toBe(true);
    const notice = app.mails.findLast((mail) => mail.to === "dup@example.com");
    expect(notice?.subject).toBe("Someone tried to create a Prism account with your email");
    expect(notice?.text).toContain(`${TEST_APP_URL}/forgot`);
  });

  it("takes as long to answer a sign-up for a taken email as for a new one", async () => {
    await app.signUp("timing-taken@example.com");
    const taken: number[] = [];
    const fresh: number[] = [];
    for (let round = 0; round < 4; round++) {
      taken.push(await timed(() => app.caller(null).account.signUp({ email: "timing-taken@example.com", name: "T", password: "a long password" })));
      fresh.push(await timed(() => app.caller(null).account.signUp({ email: `timing-new-${round}@example.com`, name: "T", password: "a long password" })));
    }
    // Without hashing on the taken path: a few ms against ~300 ms. Both hash, so they stay close.
    expect(median(taken)).toBeGreaterThan(median(fresh) * 0.6);
    expect(median(taken)).toBeLessThan(median(fresh) * 1.6);
  });

  it("resets a password through the mailed link, once", async () => {
    await app.signUp("reset@example.com");
    await app.caller(null).account.requestPasswordReset({ email: "reset@example.com" });
    // The mail is sent after the answer (see requestPasswordReset).
    await detachedWorkSettled();
    const token = tokenFromMail(app.mails, "reset@example.com", "/reset?token=");
    await app.caller(null).account.resetPassword({ token, password: "a brand new password" });
    const user = await app.db.user.findUniqueOrThrow({ where: { email: "reset@example.com" }, select: { passwordHash: true } });
    expect(await verifyPassword("a brand new password", user.passwordHash)).toBe(true);
    await expect(app.caller(null).account.resetPassword({ token, password: "yet another password" })).rejects.toThrow("already been used");
  });

  it("answers a reset request for an unknown email exactly like a known one, and mails nothing", async () => {
    const before = app.mails.length;
    await expect(app.caller(null).account.requestPasswordReset({ email: "nobody@example.com" })).resolves.toEqual({ sent: true });
    await detachedWorkSettled();
    expect(app.mails.length).toBe(before);
  });

  it("answers a reset request as fast for a known email as for an unknown one, and the mail still arrives", async () => {
    await app.signUp("timing-reset@example.com");
    // An SMTP server that takes its time, as real ones do: waiting for it would show that the account exists.
    const delivered: MailMessage[] = [];
    const slowSmtp: Mailer = {
      delivery: "smtp",
      async send(message) {
        await sleep(150);
        delivered.push(message);
      },
    };
    const caller = createCaller(createTRPCContext({ user: null, db: app.db, mailer: slowSmtp, appUrl: TEST_APP_URL }));
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 8; round++) {
      known.push(await timed(() => caller.account.requestPasswordReset({ email: "timing-reset@example.com" })));
      // Each mail is out before the next request is timed, so one round's work does not slow another.
      await detachedWorkSettled();
      unknown.push(await timed(() => caller.account.requestPasswordReset({ email: `timing-nobody-${round}@example.com` })));
    }
    // The first round warms connections and statements for both.
    expect(median(known.slice(1))).toBeLessThan(median(unknown.slice(1)) * 1.5 + 30);

    expect(delivered.map((mail) => mail.to)).toEqual(Array<string>(8).fill("timing-reset@example.com"));
    const token = tokenFromMail(delivered, "timing-reset@example.com", "/reset?token=");
    await expect(caller.account.resetPassword({ token, password: "a brand new password" })).resolves.toEqual({ reset: true });
  });

  it("keeps the reset mail in the outbox when the instance has no mail server", async () => {
    await app.signUp("outbox-reset@example.com");
    const outbox = createMailer({ from: "Prism <no-reply@prism.test>", db: app.db, secret: "outbox-test-secret-0123456789" });
    const caller = createCaller(createTRPCContext({ user: null, db: app.db, mailer: outbox, appUrl: TEST_APP_URL }));
    await expect(caller.account.requestPasswordReset({ email: "outbox-reset@example.com" })).resolves.toEqual({ sent: true });
    await detachedWorkSettled();
    const kept = await app.db.outboxMail.findMany({ where: { to: "outbox-reset@example.com" }, select: { subject: true, sealed: true } });
    expect(kept.map((mail) => mail.subject)).toEqual(["Reset your Prism password"]);
    const token = outbox.openKept!({ to: "outbox-reset@example.com", sealed: kept[0]!.sealed })?.text.match(/\/reset\?token=([\w-]+)/)?.[1];
    await expect(caller.account.resetPassword({ token: token!, password: "a brand new password" })).resolves.toEqual({ reset: true });
  });

  it.each([
    ["a script tag as name", { name: "<script>alert(1)</script>", email: "x1@example.com", password: "long enough pw" }],
    ["an oversized name", { name: "n".repeat(10_000), email: "x2@example.com", password: "long enough pw" }],
    ["a short password", { name: "X", email: "x3@example.com", password: "short" }],
    ["a malformed email", { name: "X", email: "not-an-email", password: "long enough pw" }],
    ["an unknown key", { name: "X", email: "x4@example.com", password: "long enough pw", isAdmin: true }],
    ["a wrong type", { name: 42, email: "x5@example.com", password: "long enough pw" }],
  ])("rejects %s with a validation error and stores nothing", async (_label, input) => {
    const users = await app.db.user.count();
    await expect(app.caller(null).account.signUp(input as never)).rejects.toMatchObject({ code: "BAD_REQUEST" });
    expect(await app.db.user.count()).toBe(users);
  });
});

describe("sessions end when the password changes", () => {
  it("a password reset ends every session signed in before it", async () => {
    const { user } = await app.signUp("sessions-reset@example.com");
    expect((await app.caller({ ...user, sessionVersion: 0 }).account.me()).email).toBe("sessions-reset@example.com");
    await app.caller(null).account.requestPasswordReset({ email: "sessions-reset@example.com" });
    await detachedWorkSettled();
    const token = tokenFromMail(app.mails, "sessions-reset@example.com", "/reset?token=");
    await app.caller(null).account.resetPassword({ token, password: "a brand new password" });

    await expect(app.caller({ ...user, sessionVersion: 0 }).account.me()).rejects.toMatchObject({
      code: "UNAUTHORIZED",
      message: expect.stringContaining("sign in again"),
    });
    // A sign-in after the reset carries the new version and works.
    const signedIn = await checkCredentials(app.db, { email: "sessions-reset@example.com", password: "a brand new password" });
    expect(signedIn?.sessionVersion).toBe(1);
    expect((await app.caller({ ...user, sessionVersion: signedIn!.sessionVersion }).account.me()).email).toBe("sessions-reset@example.com");
  });

  it("a password change ends the other sessions, and the changing one moves on with its renewal proof", async () => {
    const { user } = await app.signUp("sessions-change@example.com");
    const result = await app
      .caller({ ...user, sessionVersion: 0 })
      .account.changePassword({ currentPassword: "correct horse battery", newPassword: "another long password" });

    await expect(app.caller({ ...user, sessionVersion: 0 }).account.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // What the jwt callback does with the proof on next-auth's session update.
    expect(await renewedVersion(app.db, user.id, result.renewal)).toBe(1);
    expect((await app.caller({ ...user, sessionVersion: 1 }).account.me()).email).toBe("sessions-change@example.com");
    expect(await checkCredentials(app.db, { email: "sessions-change@example.com", password: "another long password" })).not.toBeNull();
    expect(await checkCredentials(app.db, { email: "sessions-change@example.com", password: "correct horse battery" })).toBeNull();

    // The proof is worthless for another user, once guessed at, and after the next change.
    const { user: other } = await app.signUp("sessions-other@example.com");
    expect(await renewedVersion(app.db, other.id, result.renewal)).toBeNull();
    expect(await renewedVersion(app.db, user.id, "0".repeat(64))).toBeNull();
    await app.caller({ ...user, sessionVersion: 1 }).account.changePassword({ currentPassword: "another long password", newPassword: "a third long password" });
    expect(await renewedVersion(app.db, user.id, result.renewal)).toBeNull();
  });

  it("refuses a change with the wrong current password and keeps every session", async () => {
    const { user } = await app.signUp("sessions-wrong@example.com");
    await expect(
      app.caller({ ...user, sessionVersion: 0 }).account.changePassword({ currentPassword: "not my password", newPassword: "another long password" }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: "Your current password is not right." });
    expect((await app.caller({ ...user, sessionVersion: 0 }).account.me()).email).toBe("sessions-wrong@example.com");
    expect(await checkCredentials(app.db, { email: "sessions-wrong@example.com", password: "correct horse battery" })).not.toBeNull();
  });

  it("refuses a change from a session that an earlier change already ended", async () => {
    const { user } = await app.signUp("sessions-stale@example.com");
    await app.caller({ ...user, sessionVersion: 0 }).account.changePassword({ currentPassword: "correct horse battery", newPassword: "another long password" });
    await expect(
      app.caller({ ...user, sessionVersion: 0 }).account.changePassword({ currentPassword: "another long password", newPassword: "a third long password" }),
    ).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
