import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "~/server/api/trpc";
import { createTestApp, tokenFromMail, type TestApp } from "~/testing/app";

let app: TestApp;
let owner: SessionUser;
let viewer: SessionUser;
let projectId: string;
let outsider: SessionUser;
let outsiderProjectId: string;

beforeAll(async () => {
  app = await createTestApp();
  const signedUp = await app.signUp("bell-owner@example.com");
  owner = signedUp.user;
  projectId = (await app.caller(owner).projects.create({ orgId: signedUp.orgId, name: "Shop" })).id;
  await app.caller(owner).invites.create({ orgId: signedUp.orgId, email: "bell-viewer@example.com", role: "viewer" });
  const token = tokenFromMail(app.mails, "bell-viewer@example.com", "/invite/");
  const { userId } = await app
    .caller(null)
    .account.signUp({ email: "bell-viewer@example.com", name: "Viewer", password: "a long password", inviteToken: token });
  viewer = { id: userId, email: "bell-viewer@example.com", name: "Viewer" };
  const other = await app.signUp("bell-outsider@example.com");
  outsider = other.user;
  outsiderProjectId = (await app.caller(outsider).projects.create({ orgId: other.orgId, name: "Theirs" })).id;
});
afterAll(async () => {
  await app?.close();
});

/** What a trigger's notification action stores (the worker writes these rows). */
const post = (title: string, userId: string | null = null, project = projectId) =>
  app.db.notification.create({ data: { projectId: project, userId, title, body: `${title} body` } });

describe("notifications", () => {
  it("lists the project's notifications newest first with an unread count, marks one read, then all", async () => {
    const first = await post("Big purchase");
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await post("First login");
    await post("For the viewer only", viewer.id);
    await post("Elsewhere", null, outsiderProjectId);

    const caller = app.caller(owner);
    const listed = await caller.notifications.list({ projectId });
    expect(listed.unread).toBe(2);
    expect(listed.items.map((item) => item.title)).toEqual(["First login", "Big purchase"]);

    const marked = await caller.notifications.markRead({ projectId, notificationId: first.id });
    expect(marked.readAt).toBeInstanceOf(Date);
    // Marking again keeps the first read time.
    expect((await caller.notifications.markRead({ projectId, notificationId: first.id })).readAt).toEqual(marked.readAt);
    const afterOne = await caller.notifications.list({ projectId });
    expect(afterOne.unread).toBe(1);
    expect(afterOne.items.find((item) => item.id === second.id)?.readAt).toBeNull();

    expect(await caller.notifications.markAllRead({ projectId })).toEqual({ marked: 1 });
    expect((await caller.notifications.list({ projectId })).unread).toBe(0);
    // The owner's reading is the owner's: the viewer still has both project-wide ones and their own unread.
    const viewerList = await app.caller(viewer).notifications.list({ projectId });
    expect(viewerList.unread).toBe(3);
    expect(viewerList.items.every((item) => item.readAt === null)).toBe(true);
    expect(await app.caller(viewer).notifications.markAllRead({ projectId })).toEqual({ marked: 3 });
    expect((await app.caller(viewer).notifications.list({ projectId })).unread).toBe(0);
    // The owner's first read time of "Big purchase" survived both mark-all calls.
    expect((await caller.notifications.list({ projectId })).items.find((item) => item.id === first.id)?.readAt).toEqual(marked.readAt);
  });

  it("refuses to mark another user's, another project's or a made-up notification", async () => {
    const forViewer = await post("Viewer's alert", viewer.id);
    const theirs = await post("Their alert", null, outsiderProjectId);
    const caller = app.caller(owner);
    for (const notificationId of [forViewer.id, theirs.id, "nope"]) {
      await expect(caller.notifications.markRead({ projectId, notificationId })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "Notification not found.",
      });
    }
    await expect(caller.notifications.markRead({ projectId: outsiderProjectId, notificationId: theirs.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await app.db.notificationRead.count({ where: { notificationId: { in: [forViewer.id, theirs.id] } } })).toBe(0);
    await expect(caller.notifications.markRead({ projectId, notificationId: "x".repeat(10_000) })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.notifications.markRead({ projectId, notificationId: forViewer.id, extra: 1 } as never)).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
