/**
 * Property: a member of organisation A, calling any procedure with ids that belong to
 * organisation B (alone or mixed with A's own ids), gets FORBIDDEN or NOT_FOUND, and
 * nothing of B changes. Procedures that take no tenant id must not return B's data.
 */
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "~/server/api/root";
import { createTestApp, type TestApp } from "~/testing/app";
import { makeTenant, procedureAt, scopedInputs, snapshot, UNSCOPED, type Tenant } from "~/testing/procedures";

let app: TestApp;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  app = await createTestApp();
  a = await makeTenant(app, "a");
  b = await makeTenant(app, "b");
});
afterAll(async () => {
  await app?.close();
});

describe("tenant isolation", () => {
  it("covers every procedure of the app router", () => {
    const all = Object.keys(appRouter._def.procedures).sort();
    const covered = [...Object.keys(scopedInputs(b, a)), ...UNSCOPED].sort();
    expect(covered).toEqual(all);
  });

  it("refuses every tenant-scoped procedure called with another organisation's ids, and changes nothing", async () => {
    const before = await snapshot(app, b.orgId);
    const inputs = scopedInputs(b, a);
    const call = fc.oneof(...Object.entries(inputs).map(([path, input]) => input.map((value) => ({ path, input: value }))));
    await fc.assert(
      fc.asyncProperty(call, async ({ path, input }) => {
        const outcome = await procedureAt(
          app,
          a.user,
          path,
        )(input).then(
          (result) => ({ ok: true as const, result }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        if (outcome.ok) throw new Error(`${path} succeeded with ${JSON.stringify(input)}`);
        expect(outcome.error).toBeInstanceOf(TRPCError);
        expect(["FORBIDDEN", "NOT_FOUND"]).toContain((outcome.error as TRPCError).code);
      }),
      { numRuns: 300 },
    );
    expect(await snapshot(app, b.orgId)).toEqual(before);
  });

  it("never returns another organisation's objects from procedures without a tenant id", async () => {
    const caller = app.caller(a.user);
    const seen = JSON.stringify([await caller.account.me(), await caller.organizations.list(), await caller.projects.list({ includeArchived: true })]);
    for (const id of [b.orgId, b.projectId, b.keyId]) expect(seen).not.toContain(id);
    await expect(caller.invites.accept({ token: b.inviteToken })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await app.db.membership.count({ where: { organizationId: b.orgId, userId: a.user.id } })).toBe(0);
  });
});
