import { describe, expect, it } from "vitest";
import { z } from "zod";
import { passwordSchema } from "~/core/account";
import { flatFieldErrors, humanizedErrorMap } from "./form-errors";

const messages = (schema: z.ZodType, value: unknown) =>
  Object.fromEntries((schema.safeParse(value, { error: humanizedErrorMap }).error?.issues ?? []).map((issue) => [issue.path.join("."), issue.message]));

describe("form errors", () => {
  it("words zod's built-in messages to follow the field's label", () => {
    const schema = z.object({ name: z.string().min(1), code: z.string().min(4), count: z.number().int().max(10), url: z.url(), kind: z.enum(["a", "b"]) });
    expect(messages(schema, { name: "", code: "ab", count: Number.NaN, url: "nope", kind: "c" })).toEqual({
      name: "is required",
      code: "needs at least 4 characters",
      count: "must be a number",
      url: "is not a valid URL (use http:// or https://)",
      kind: "must be one of: a, b",
    });
    expect(messages(schema.pick({ count: true }), { count: 11 })).toEqual({ count: "must be at most 10" });
  });

  it("keeps the schemas' own messages", () => {
    expect(messages(z.object({ password: passwordSchema }), { password: "short" })).toEqual({ password: "needs at least 10 characters" });
  });

  it("flattens react-hook-form's nested errors, a list's root keyed by the list", () => {
    const ref = { focus: () => undefined };
    expect(
      flatFieldErrors({
        name: { type: "too_small", message: "is required", ref },
        actions: Object.assign([undefined, { title: { type: "too_small", message: "is required" } }], {
          root: { type: "custom", message: "has at most 10 entries" },
        }),
      }),
    ).toEqual({ name: "is required", "actions.1.title": "is required", actions: "has at most 10 entries" });
  });
});
