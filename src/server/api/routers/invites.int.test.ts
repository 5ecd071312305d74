import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "~/server/api/trpc";
import { createTestApp, tokenFromMail, type TestApp } from "~/testing/app";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app?.close();
});

/** Invites `email` to the organisation and signs them up through the mailed link. */
async function joinByInvite(inviter: SessionUser, orgId: string, email: string, role: "admin" | "member" | "viewer"): Promise<SessionUser> {
  await app.caller(inviter).invites.create({ orgId, email, role });
  const token = tokenFromMail(app.mails, email, "/invite/");
  const { userId } = await app.caller(null).account.signUp({ email, name: "Teammate", password: "a long password", inviteToken: token });
  return { id: userId, email, name: "Teammate" };
}

describe("team invites", () => {
  it("lets an invitee sign up through the mailed link and join with the invited role", async () => {
    const { user: admin, orgId } = await app.signUp("owner1@example.com");
    await app.caller(admin).invites.create({ orgId, email: "mate@example.com", role: "viewer" });
    const token = tokenFromMail(app.mails, "mate@example.com", "/invite/");
    expect(await app.caller(null).invites.peek({ token })).toMatchObject({ state: "pending", role: "viewer", accountExists: false });

    const result = await app.caller(null).account.signUp({ email: "mate@example.com", name: "Mate", password: "a long password", inviteToken: token });
    expect(result).toMatchObject({ verified: true, organizationId: orgId });
    const membership = await app.db.membership.findFirstOrThrow({ where: { userId: result.userId }, select: { role: true, organizationId: true } });
    expect(membership).toEqual({ role: "viewer", organizationId: orgId });
    expect(await app.caller(null).invites.peek({ token })).toMatchObject({ state: "accepted" });
  });

  it("lets a signed-in user accept, and refuses the same link again", async () => {
    const { user: admin, orgId } = await app.signUp("owner2@example.com");
    const { user: existing } = await app.signUp("existing@example.com");
    await app.caller(admin).invites.create({ orgId, email: "existing@example.com", role: "member" });
    const token = tokenFromMail(app.mails, "existing@example.com", "/invite/");
    expect((await app.caller(existing).account.me()).verified).toBe(false);
    await expect(app.caller(existing).invites.accept({ token })).resolves.toMatchObject({ organizationId: orgId, role: "member" });
    expect((await app.caller(existing).account.me()).verified).toBe(true);
    await expect(app.caller(existing).invites.accept({ token })).rejects.toThrow("already been used");
  });

  it("refuses an invite accepted by another signed-in address", async () => {
    const { user: admin, orgId } = await app.signUp("owner3@example.com");
    const { user: other } = await app.signUp("other3@example.com");
    await app.caller(admin).invites.create({ orgId, email: "target3@example.com", role: "member" });
    const token = tokenFromMail(app.mails, "target3@example.com", "/invite/");
    await expect(app.caller(other).invites.accept({ token })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("explains revoked and expired invites", async () => {
    const { user: admin, orgId } = await app.signUp("owner4@example.com");
    const invite = await app.caller(admin).invites.create({ orgId, email: "revoked@example.com", role: "member" });
    const revokedToken = tokenFromMail(app.mails, "revoked@example.com", "/invite/");
    await app.caller(admin).invites.revoke({ orgId, inviteId: invite.id });
    expect(await app.caller(null).invites.peek({ token: revokedToken })).toMatchObject({ state: "revoked" });
    await expect(
      app.caller(null).account.signUp({ email: "revoked@example.com", name: "R", password: "a long password", inviteToken: revokedToken }),
    ).rejects.toThrow("revoked");

    const expiring = await app.caller(admin).invites.create({ orgId, email: "late@example.com", role: "member" });
    const lateToken = tokenFromMail(app.mails, "late@example.com", "/invite/");
    await app.db.invite.update({ where: { id: expiring.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await app.caller(null).invites.peek({ token: lateToken })).toMatchObject({ state: "expired" });
  });

  it("makes the old link stop working when an invite is resent", async () => {
    const { user: admin, orgId } = await app.signUp("owner5@example.com");
    const invite = await app.caller(admin).invites.create({ orgId, email: "resend@example.com", role: "member" });
    const first = tokenFromMail(app.mails, "resend@example.com", "/invite/");
    await app.caller(admin).invites.resend({ orgId, inviteId: invite.id });
    const second = tokenFromMail(app.mails, "resend@example.com", "/invite/");
    expect(second).not.toBe(first);
    expect(await app.caller(null).invites.peek({ token: first })).toMatchObject({ state: "invalid" });
    expect(await app.caller(null).invites.peek({ token: second })).toMatchObject({ state: "pending" });
  });

  it("refuses to invite an existing member, and lets only admins invite", async () => {
    const { user: admin, orgId } = await app.signUp("owner6@example.com");
    await expect(app.caller(admin).invites.create({ orgId, email: "owner6@example.com", role: "member" })).rejects.toMatchObject({ code: "CONFLICT" });
    await app.caller(admin).invites.create({ orgId, email: "member6@example.com", role: "member" });
    const token = tokenFromMail(app.mails, "member6@example.com", "/invite/");
    const { userId } = await app.caller(null).account.signUp({ email: "member6@example.com", name: "M", password: "a long password", inviteToken: token });
    const member = { id: userId, email: "member6@example.com", name: "M" };
    await expect(app.caller(member).invites.create({ orgId, email: "x6@example.com", role: "viewer" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("stores invite tokens hashed", async () => {
    const { user: admin, orgId } = await app.signUp("owner7@example.com");
    await app.caller(admin).invites.create({ orgId, email: "hashed@example.com", role: "member" });
    const token = tokenFromMail(app.mails, "hashed@example.com", "/invite/");
    const rows = await app.db.invite.findMany({ select: { tokenHash: true } });
    expect(rows.some((row) => row.tokenHash === token)).toBe(false);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.tokenHash))).toBe(true);
  });
});

describe("organisation roles", () => {
  it("keeps the last owner: cannot leave, be demoted or removed", async () => {
    const { user: owner, orgId } = await app.signUp("solo@example.com");
    const [self] = await app.caller(owner).organizations.members({ orgId });
    await expect(app.caller(owner).organizations.leave({ orgId })).rejects.toThrow("last owner");
    await expect(app.caller(owner).organizations.changeRole({ orgId, membershipId: self!.membershipId, role: "admin" })).rejects.toThrow("last owner");
    await expect(app.caller(owner).organizations.removeMember({ orgId, membershipId: self!.membershipId })).rejects.toThrow("last owner");
  });

  it("lets an owner hand over ownership and then leave", async () => {
    const { user: owner, orgId } = await app.signUp("handover@example.com");
    await joinByInvite(owner, orgId, "heir@example.com", "admin");
    const heir = (await app.caller(owner).organizations.members({ orgId })).find((member) => member.email === "heir@example.com")!;
    await app.caller(owner).organizations.changeRole({ orgId, membershipId: heir.membershipId, role: "owner" });
    await app.caller(owner).organizations.leave({ orgId });
    expect((await app.db.membership.findMany({ where: { organizationId: orgId }, select: { role: true } })).map((m) => m.role)).toEqual(["owner"]);
  });

  it("keeps an owner when two owners demote each other or leave at the same moment", async () => {
    const { user: first, orgId } = await app.signUp("pair1@example.com");
    const second = await joinByInvite(first, orgId, "pair2@example.com", "admin");
    const members = await app.caller(first).organizations.members({ orgId });
    const membershipOf = (email: string) => members.find((member) => member.email === email)!.membershipId;
    const owners = async () => app.db.membership.count({ where: { organizationId: orgId, role: "owner" } });

    for (let round = 0; round < 3; round++) {
      await app.db.membership.updateMany({ where: { organizationId: orgId }, data: { role: "owner" } });
      const outcomes = await Promise.allSettled([
        app.caller(first).organizations.changeRole({ orgId, membershipId: membershipOf("pair2@example.com"), role: "admin" }),
        app.caller(second).organizations.changeRole({ orgId, membershipId: membershipOf("pair1@example.com"), role: "admin" }),
      ]);
      expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect(await owners()).toBe(1);
    }

    await app.db.membership.updateMany({ where: { organizationId: orgId }, data: { role: "owner" } });
    const left = await Promise.allSettled([app.caller(first).organizations.leave({ orgId }), app.caller(second).organizations.leave({ orgId })]);
    expect(left.map((outcome) => outcome.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(await owners()).toBe(1);
  });

  it("does not let an admin promote anyone to owner", async () => {
    const { user: owner, orgId } = await app.signUp("boss@example.com");
    const admin = await joinByInvite(owner, orgId, "adm@example.com", "admin");
    const self = (await app.caller(admin).organizations.members({ orgId })).find((member) => member.isYou)!;
    await expect(app.caller(admin).organizations.changeRole({ orgId, membershipId: self.membershipId, role: "owner" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
  });
});
