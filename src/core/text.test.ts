import { describe, expect, it } from "vitest";
import { triggerInputSchema } from "./triggers";
import { plainText } from "./text";

describe("typed text", () => {
  it("refuses NUL, which PostgreSQL text cannot store, with a message instead of a failed write", () => {
    const name = plainText(120);
    expect(name.safeParse("Big purchase").success).toBe(true);
    const refused = name.safeParse("Big\u0000purchase");
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe("must not contain NUL characters");
  });

  it("refuses NUL in a trigger's name and rule", () => {
    const trigger = { name: "Purchase", rule: "event.name == 'purchase'", actions: [], enabled: true, cooldownSeconds: 0 };
    expect(triggerInputSchema.safeParse(trigger).success).toBe(true);
    expect(triggerInputSchema.safeParse({ ...trigger, name: "N\u0000UL" }).success).toBe(false);
    expect(triggerInputSchema.safeParse({ ...trigger, rule: "event.name == 'a\u0000'" }).success).toBe(false);
  });
});
