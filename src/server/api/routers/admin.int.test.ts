import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { createTRPCContext, type SessionUser } from "~/server/api/trpc";
import { hashPassword } from "~/server/auth/password";
import { detachedWorkSettled } from "~/server/detached";
import { createMailer, type Mailer } from "~/server/mail";
import { createTestApp, TEST_APP_URL, tokenFromMail, type TestApp } from "~/testing/app";

/** Mail without SMTP: kept in the outbox, links handed over in the app, the outbox read by instance admins only. */

let app: TestApp;
let outbox: Mailer;
const caller = (user: SessionUser | null) =>
  createCaller(createTRPCContext({ user: user && { sessionVersion: 0, ...user }, db: app.db, mailer: outbox, appUrl: TEST_APP_URL }));

async function signUp(email: string, inviteToken?: string): Promise<SessionUser & { instanceAdmin: boolean }> {
  const result = await caller(null).account.signUp({ email, name: "Someone", password: "a long password", ...(inviteToken ? { inviteToken } : {}) });
  return { id: result.userId, email, name: "Someone", instanceAdmin: result.instanceAdmin };
}

async function orgOf(user: SessionUser): Promise<string> {
  return (await app.db.membership.findFirstOrThrow({ where: { userId: user.id, role: "owner" }, select: { organizationId: true } })).organizationId;
}

const inviteToken = (link: string | null) => link?.match(/\/invite\/([\w-]+)$/)?.[1] ?? "";

let admin: SessionUser;
beforeAll(async () => {
  app = await createTestApp();
  outbox = createMailer({ from: "Prism <no-reply@prism.test>", db: app.db, secret: "outbox-test-secret-0123456789" });
  // A seeded login (as the demo is) comes first and must not become the admin.
  await app.db.user.create({ data: { email: "seeded@example.com", passwordHash: await hashPassword("seeded password"), emailVerifiedAt: new Date() } });
  admin = await signUp("first@example.com");
});
afterAll(async () => {
  await app?.close();
});

describe("the instance admin", () => {
  it("is the first account that signs up with its own organisation; later and invited sign-ups are not", async () => {
    expect((await caller(admin).account.me()).instanceAdmin).toBe(true);
    const second = await signUp("second@example.com");
    expect(second.instanceAdmin).toBe(false);
    const { link } = await caller(second).invites.create({ orgId: await orgOf(second), email: "invited@example.com", role: "owner" });
    const invited = await signUp("invited@example.com", inviteToken(link));
    expect(invited.instanceAdmin).toBe(false);
    expect(await app.db.user.count({ where: { instanceAdmin: true } })).toBe(1);
  });

  it("is exactly one account when several first sign-ups arrive at once", async () => {
    const fresh = await createTestApp();
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          fresh.caller(null).account.signUp({ email: `racer${index}@example.com`, name: "Racer", password: "a long password" }),
        ),
      );
      expect(results.filter((result) => result.instanceAdmin)).toHaveLength(1);
      expect(await fresh.db.user.count({ where: { instanceAdmin: true } })).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});

describe("the outbox", () => {
  it("shows the admin every kept mail with its working link", async () => {
    const owner = await signUp("owner-a@example.com");
    await caller(owner).invites.create({ orgId: await orgOf(owner), email: "mate-a@example.com", role: "member" });
    await caller(null).account.requestPasswordReset({ email: "owner-a@example.com" });
    // The reset mail is kept after the answer (see requestPasswordReset).
    await detachedWorkSettled();

    const mails = await caller(admin).admin.outbox({ to: "mate-a@example.com" });
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: "mate-a@example.com", linksHidden: false });
    const token = mails[0]!.text.match(/\/invite\/([\w-]+)/)?.[1];
    expect(await caller(null).invites.peek({ token: token! })).toMatchObject({ state: "pending", email: "mate-a@example.com" });

    const [reset] = await caller(admin).admin.outbox({ to: "owner-a@example.com" });
    const resetToken = reset!.text.match(/\/reset\?token=([\w-]+)/)?.[1];
    await expect(caller(null).account.resetPassword({ token: resetToken!, password: "a brand new password" })).resolves.toEqual({ reset: true });
  });

  it("is refused to anyone else: an owner of another organisation, an invited member, a seeded login, a visitor", async () => {
    const otherOwner = await signUp("owner-b@example.com");
    const { link } = await caller(admin).invites.create({ orgId: await orgOf(admin), email: "member-b@example.com", role: "admin" });
    const member = await signUp("member-b@example.com", inviteToken(link));
    const seeded = await app.db.user.findUniqueOrThrow({ where: { email: "seeded@example.com" }, select: { id: true, email: true, name: true } });
    for (const user of [otherOwner, member, seeded]) {
      await expect(caller(user).admin.outbox()).rejects.toMatchObject({ code: "FORBIDDEN" });
      expect((await caller(user).account.me()).instanceAdmin).toBe(false);
    }
    await expect(caller(null).admin.outbox()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  // Each reset attempt hashes a password first (bcrypt), so trying every stored value takes a while.
  it("keeps no usable token at rest: neither the stored hashes nor anything in the outbox table opens a link", { timeout: 180_000 }, async () => {
    const owner = await signUp("owner-c@example.com");
    const { link } = await caller(owner).invites.create({ orgId: await orgOf(owner), email: "mate-c@example.com", role: "owner" });
    await caller(null).account.requestPasswordReset({ email: "owner-c@example.com" });
    await detachedWorkSettled();
    // A verification token too, as issued when mail is set up.
    await app.caller(null).account.signUp({ email: "verify-c@example.com", name: "V", password: "a long password" });

    const stored = [
      ...(await app.db.$queryRaw<Array<{ value: string }>>`SELECT token_hash AS value FROM invites`),
      ...(await app.db.$queryRaw<Array<{ value: string }>>`SELECT token_hash AS value FROM auth_tokens`),
      ...(await app.db.$queryRaw<Array<{ value: string }>>`SELECT text AS value FROM outbox_mails UNION ALL SELECT sealed FROM outbox_mails`),
    ].map((row) => row.value);
    expect(stored.join("\n")).not.toMatch(/\/(invite\/|reset\?token=|verify\?token=)[\w-]/);
    const candidates = new Set(stored.flatMap((value) => [value, ...(value.match(/[\w-]{20,200}/g) ?? [])]).values());
    expect(candidates.size).toBeGreaterThan(5);
    for (const candidate of candidates) {
      const token = candidate.slice(0, 200);
      const peek = await caller(null)
        .invites.peek({ token })
        .catch(() => ({ state: "refused" }));
      expect(peek.state === "invalid" || peek.state === "refused").toBe(true);
      await expect(caller(null).account.resetPassword({ token, password: "a stolen password!" })).rejects.toBeDefined();
      await expect(caller(null).account.verifyEmail({ token })).rejects.toBeDefined();
    }
    // The link the inviter was handed still works: the attempts above were refused for being wrong, not by accident.
    expect(await caller(null).invites.peek({ token: inviteToken(link) })).toMatchObject({ state: "pending" });
  });
});

describe("invite links without SMTP", () => {
  it("are shown to the inviter once; the list never shows them; copying again makes a fresh link", async () => {
    const orgId = await orgOf(admin);
    const created = await caller(admin).invites.create({ orgId, email: "once@example.com", role: "viewer" });
    expect(created.link).toMatch(new RegExp(`^${TEST_APP_URL}/invite/[\\w-]{40,}$`));
    const first = inviteToken(created.link);
    expect(await caller(null).invites.peek({ token: first })).toMatchObject({ state: "pending", role: "viewer" });
    expect(JSON.stringify(await caller(admin).invites.list({ orgId }))).not.toContain(first);

    const again = await caller(admin).invites.resend({ orgId, inviteId: created.id });
    const second = inviteToken(again.link);
    expect(second).not.toBe(first);
    expect(await caller(null).invites.peek({ token: first })).toMatchObject({ state: "invalid" });
    expect(await caller(null).invites.peek({ token: second })).toMatchObject({ state: "pending" });
  });

  it("are not handed to the inviter when SMTP delivers the mail", async () => {
    const { user, orgId } = await app.signUp("smtp-owner@example.com");
    const created = await app.caller(user).invites.create({ orgId, email: "by-mail@example.com", role: "member" });
    expect(created.link).toBeNull();
    expect((await app.caller(user).invites.resend({ orgId, inviteId: created.id })).link).toBeNull();
    expect(tokenFromMail(app.mails, "by-mail@example.com", "/invite/")).toMatch(/^[\w-]{40,}$/);
  });
});

describe("email verification without mail", () => {
  it("sends nothing, asks for nothing, and the account works straight away", async () => {
    const user = await signUp("no-mail@example.com");
    expect(await app.db.outboxMail.count({ where: { to: "no-mail@example.com" } })).toBe(0);
    expect(await caller(user).account.me()).toMatchObject({ verified: false, mailDelivered: false });
    await expect(caller(user).account.resendVerification()).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await expect(caller(user).projects.create({ orgId: await orgOf(user), name: "Works already" })).resolves.toMatchObject({ name: "Works already" });
  });

  it("still sends the verification mail when SMTP is set up", async () => {
    const { user } = await app.signUp("with-mail@example.com");
    expect(await app.caller(user).account.me()).toMatchObject({ verified: false, mailDelivered: true });
    expect(tokenFromMail(app.mails, "with-mail@example.com", "/verify?token=")).toMatch(/^[\w-]{40,}$/);
  });
});
