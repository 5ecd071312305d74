import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "~/server/auth/password";
import { createTestApp, tokenFromMail, type TestApp } from "~/testing/app";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app?.close();
});

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

  it("refuses a second account for the same email, in any case", async () => {
    await app.signUp("dup@example.com");
    await expect(app.caller(null).account.signUp({ email: "DUP@example.com", name: "Dup", password: "another password" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });

  it("resets a password through the mailed link, once", async () => {
    await app.signUp("reset@example.com");
    await app.caller(null).account.requestPasswordReset({ email: "reset@example.com" });
    const token = tokenFromMail(app.mails, "reset@example.com", "/reset?token=");
    await app.caller(null).account.resetPassword({ token, password: "a brand new password" });
    const user = await app.db.user.findUniqueOrThrow({ where: { email: "reset@example.com" }, select: { passwordHash: true } });
    expect(await verifyPassword("a brand new password", user.passwordHash)).toBe(true);
    await expect(app.caller(null).account.resetPassword({ token, password: "yet another password" })).rejects.toThrow("already been used");
  });

  it("answers a reset request for an unknown email exactly like a known one, and mails nothing", async () => {
    const before = app.mails.length;
    await expect(app.caller(null).account.requestPasswordReset({ email: "nobody@example.com" })).resolves.toEqual({ sent: true });
    expect(app.mails.length).toBe(before);
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
