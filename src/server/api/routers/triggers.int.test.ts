import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionUser } from "~/server/api/trpc";
import { createTestApp, tokenFromMail, type TestApp } from "~/testing/app";

let app: TestApp;
let owner: SessionUser;
let viewer: SessionUser;
let orgId: string;
let projectId: string;

const RULE_PURCHASE = "event.name == 'purchase' && event.props.amount > 10000 && window.count('purchase', '5m') >= 1";
const RULE_FIRST_LOGIN = "event.name == 'login' && profile.props.login_count == 0";
const RULE_CAMPAIGN = "event.name == 'page_view' && event.props.campaign == 'summer_sale' && profile.props.vip_level >= 3";
const notify = { type: "notification" as const, title: "Big spender", body: "" };

beforeAll(async () => {
  app = await createTestApp();
  ({ user: owner, orgId } = await app.signUp("rules-owner@example.com"));
  const caller = app.caller(owner);
  projectId = (await caller.projects.create({ orgId, name: "Shop" })).id;
  for (const attribute of [
    { entity: "event", name: "amount", type: "number" },
    { entity: "event", name: "campaign", type: "string" },
    { entity: "profile", name: "vip_level", type: "number" },
    { entity: "profile", name: "login_count", type: "number" },
  ] as const) {
    await caller.trackingPlan.createAttribute({ projectId, attribute: { ...attribute, itemsType: null, indexed: false } });
  }
  await caller.invites.create({ orgId, email: "rules-viewer@example.com", role: "viewer" });
  const token = tokenFromMail(app.mails, "rules-viewer@example.com", "/invite/");
  const { userId } = await app
    .caller(null)
    .account.signUp({ email: "rules-viewer@example.com", name: "Viewer", password: "a long password", inviteToken: token });
  viewer = { id: userId, email: "rules-viewer@example.com", name: "Viewer" };
});
afterAll(async () => {
  await app?.close();
});

const trigger = (name: string, rule: string) => ({ name, rule, actions: [notify], enabled: true, cooldownSeconds: 0 });

describe("triggers: save-time rule checking", () => {
  it("saves the design's three rules against the project's attributes", async () => {
    const caller = app.caller(owner);
    for (const [name, rule] of [
      ["Big purchase", RULE_PURCHASE],
      ["First login", RULE_FIRST_LOGIN],
      ["Summer VIP", RULE_CAMPAIGN],
    ] as const) {
      expect(await caller.triggers.create({ projectId, trigger: trigger(name, rule) })).toMatchObject({ name, rule, version: 1 });
    }
    const listed = await caller.triggers.list({ projectId });
    expect(listed.filter((t) => t.ruleProblems.length === 0).map((t) => t.name)).toEqual(expect.arrayContaining(["Big purchase", "First login", "Summer VIP"]));
  });

  it("refuses an unknown attribute, a type mismatch, a bad duration and a non-bool rule, naming the problem", async () => {
    const caller = app.caller(owner);
    const refused = async (rule: string, message: string | RegExp) =>
      expect(caller.triggers.create({ projectId, trigger: trigger(`bad ${rule.length}`, rule) })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(message),
      });
    await refused("event.props.amout > 1", /unknown event attribute 'amout'; did you mean 'amount'\?/);
    await refused("event.props.campaign > 3", /operator '>' cannot be applied to string and int/);
    await refused("window.count('purchase', '30d') >= 1", /out of range: use 1s to 7d/);
    await refused("window.count(event.name, '5m') >= 1", /must be a string literal/);
    await refused("event.props.amount + 1", /must evaluate to a bool/);
    expect(await app.db.trigger.count({ where: { projectId, name: { startsWith: "bad " } } })).toBe(0);
  });

  it("checks updates too, and keeps the stored rule when the update is refused", async () => {
    const caller = app.caller(owner);
    const created = await caller.triggers.create({ projectId, trigger: trigger("Editable", "event.name == 'x'") });
    await expect(
      caller.triggers.update({ projectId, triggerId: created.id, trigger: trigger("Editable", "profile.props.plan == 'pro'") }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("unknown profile attribute 'plan'"),
    });
    expect(await app.db.trigger.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({ rule: "event.name == 'x'", version: 1 });
  });

  it("flags a saved rule that stopped checking after its attribute was deleted, and refuses to re-enable it", async () => {
    const caller = app.caller(owner);
    const attribute = await caller.trackingPlan.createAttribute({
      projectId,
      attribute: { entity: "event", name: "coupon", type: "string", itemsType: null, indexed: false },
    });
    const created = await caller.triggers.create({ projectId, trigger: { ...trigger("Coupon", "event.props.coupon == 'FREE'"), enabled: false } });
    await caller.trackingPlan.deleteAttribute({ projectId, attributeId: attribute.id });
    const listed = (await caller.triggers.list({ projectId })).find((t) => t.id === created.id);
    expect(listed?.ruleProblems).toMatchObject([{ message: "unknown event attribute 'coupon'" }]);
    await expect(caller.triggers.setEnabled({ projectId, triggerId: created.id, enabled: true })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await caller.triggers.setEnabled({ projectId, triggerId: created.id, enabled: false });
  });
});

describe("triggers: webhook actions", () => {
  const webhookTrigger = (name: string, endpointId: string) => ({
    ...trigger(name, "event.name == 'purchase'"),
    actions: [{ type: "webhook" as const, endpointId }],
  });

  it("accepts the project's own endpoints and refuses another project's or a made-up one, naming it", async () => {
    const caller = app.caller(owner);
    const ours = await caller.webhooks.create({ projectId, endpoint: { url: "https://crm.example.com/hooks", description: "" } });
    const other = await app.signUp("rules-other@example.com");
    const otherProject = await app.caller(other.user).projects.create({ orgId: other.orgId, name: "Theirs" });
    const theirs = await app
      .caller(other.user)
      .webhooks.create({ projectId: otherProject.id, endpoint: { url: "https://theirs.example.com/", description: "" } });

    const saved = await caller.triggers.create({ projectId, trigger: webhookTrigger("To our CRM", ours.id) });
    expect(saved.actions).toEqual([{ type: "webhook", endpointId: ours.id }]);

    for (const endpointId of [theirs.id, "whe_doesnotexist00000"]) {
      await expect(caller.triggers.create({ projectId, trigger: webhookTrigger(`To ${endpointId}`, endpointId) })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining(`“${endpointId}” is not one of this project's endpoints`),
      });
      await expect(caller.triggers.update({ projectId, triggerId: saved.id, trigger: webhookTrigger("To our CRM", endpointId) })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringContaining(endpointId),
      });
    }
    expect(await app.db.trigger.findUniqueOrThrow({ where: { id: saved.id } })).toMatchObject({
      version: 1,
      actions: [{ type: "webhook", endpointId: ours.id }],
    });
    expect(await app.db.trigger.count({ where: { projectId, name: { startsWith: "To whe_" } } })).toBe(0);
  });
});

describe("triggers.check", () => {
  it("returns problems with offsets for the editor, to viewers too", async () => {
    const caller = app.caller(viewer);
    expect(await caller.triggers.check({ projectId, rule: "event.name == 'purchase' && event.props.amout > 1" })).toEqual({
      ok: false,
      errors: [{ message: "unknown event attribute 'amout'; did you mean 'amount'?", from: 28, to: 45 }],
    });
    expect(await caller.triggers.check({ projectId, rule: RULE_PURCHASE })).toEqual({
      ok: true,
      warnings: [],
      windowNeeds: [{ fn: "count", name: "purchase", prop: null, durationMs: 300_000 }],
      cohortKeys: [],
    });
    await expect(caller.triggers.check({ projectId, rule: "x".repeat(5000) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("longer than 4000 characters"),
    });
  });
});

describe("triggers.test", () => {
  it("evaluates the three rules on sample events and lists the actions that would run", async () => {
    const caller = app.caller(viewer);
    expect(await caller.triggers.test({ projectId, rule: RULE_PURCHASE, event: { name: "purchase", props: { amount: 12000.5 } }, actions: [notify] })).toEqual({
      result: true,
      actionsThatWouldRun: [notify],
    });
    expect(await caller.triggers.test({ projectId, rule: RULE_PURCHASE, event: { name: "purchase", props: { amount: 50 } }, actions: [notify] })).toEqual({
      result: false,
      actionsThatWouldRun: [],
    });
    expect(
      await caller.triggers.test({
        projectId,
        rule: RULE_FIRST_LOGIN,
        event: { name: "login", props: {} },
        profile: { props: { login_count: 0 } },
        actions: [notify],
      }),
    ).toMatchObject({ result: true });
    expect(
      await caller.triggers.test({
        projectId,
        rule: RULE_CAMPAIGN,
        event: { name: "page_view", props: { campaign: "summer_sale" } },
        profile: { props: { vip_level: 2 } },
      }),
    ).toMatchObject({ result: false });
  });

  it("fills windows from the sample's history", async () => {
    const caller = app.caller(owner);
    const rule = "event.name == 'purchase' && window.count('purchase', '5m') >= 3 && window.sum('purchase', 'amount', '1h') > 100";
    const history = [
      { name: "purchase", props: { amount: 60 }, secondsAgo: 30 },
      { name: "purchase", props: { amount: 30 }, secondsAgo: 120 },
      { name: "purchase", props: { amount: 500 }, secondsAgo: 4000 },
    ];
    expect(await caller.triggers.test({ projectId, rule, event: { name: "purchase", props: { amount: 20 } }, history })).toMatchObject({ result: true });
    expect(await caller.triggers.test({ projectId, rule, event: { name: "purchase", props: { amount: 5 } }, history: history.slice(0, 2) })).toMatchObject({
      result: false,
    });
  });

  it("answers for an anonymous sample as production does: no windows and no profile props", async () => {
    const caller = app.caller(owner);
    const history = [{ name: "purchase", props: {}, secondsAgo: 30 }];
    const rule = "window.count('purchase', '5m') >= 2 || profile.props.vip_level > 2";
    const sample = { projectId, rule, history, profile: { props: { vip_level: 3 } } };
    expect(await caller.triggers.test({ ...sample, event: { name: "purchase", props: {} } })).toMatchObject({ result: true });
    expect(await caller.triggers.test({ ...sample, event: { name: "purchase", props: {}, profile_id: null } })).toMatchObject({ result: false });
    expect(await caller.triggers.test({ ...sample, profile: { props: {} }, event: { name: "purchase", props: {} } })).toMatchObject({ result: true });
  });

  it("reports a rule that does not check, or fails at runtime, as an error instead of a result", async () => {
    const caller = app.caller(owner);
    expect(await caller.triggers.test({ projectId, rule: "event.props.amout > 1", event: { name: "x", props: {} } })).toMatchObject({
      result: false,
      error: expect.stringContaining("unknown event attribute 'amout'"),
      actionsThatWouldRun: [],
    });
    expect(await caller.triggers.test({ projectId, rule: "event.props.amount > 1", event: { name: "x", props: { amount: "many" } } })).toMatchObject({
      result: false,
      error: expect.stringContaining("cannot be applied to string and int"),
    });
  });

  it("refuses hostile samples with clear errors", async () => {
    const caller = app.caller(owner);
    const props = JSON.parse('{"__proto__": {"amount": 1}}') as Record<string, never>;
    await expect(caller.triggers.test({ projectId, rule: "true", event: { name: "x", props } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.triggers.test({ projectId, rule: "true", event: { name: "x", props: { big: "x".repeat(40_000) } } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("32 KB"),
    });
    await expect(caller.triggers.test({ projectId, rule: "true", event: { name: "x", props: {} }, sneaky: 1 } as never)).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
