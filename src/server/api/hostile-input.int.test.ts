/**
 * Property: every tenant-scoped procedure, called by the owner with otherwise valid input that
 * has one hostile change (an unknown key, an oversized string, a wrong type, a script tag),
 * answers BAD_REQUEST with a message and stores nothing.
 */
import { TRPCError } from "@trpc/server";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "~/testing/app";
import { makeTenant, procedureAt, scopedInputs, snapshot, type Tenant } from "~/testing/procedures";

let app: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  app = await createTestApp();
  tenant = await makeTenant(app, "h");
});
afterAll(async () => {
  await app?.close();
});

type Input = Record<string, unknown>;

/** Fields that hold text a person typed (as opposed to ids, enums and numbers). Rules are CEL, where < and > are operators. */
const TEXT_FIELDS = new Set(["name", "email", "confirmName", "description", "title", "body"]);
const LONG_TEXT_FIELDS = new Set([...TEXT_FIELDS, "rule"]);

/** Every string leaf of `input` with its path, so a hostile value can replace exactly one. */
function leaves(value: unknown, path: string[] = []): Array<{ path: string[]; value: unknown }> {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, child]) => leaves(child, [...path, key]));
  }
  return [{ path, value }];
}

function replaceAt(input: Input, path: string[], value: unknown): Input {
  const [head, ...rest] = path;
  if (head === undefined) return input;
  return { ...input, [head]: rest.length === 0 ? value : replaceAt((input[head] as Input) ?? {}, rest, value) };
}

const hostileChange = (input: Input): fc.Arbitrary<{ label: string; input: Input }> => {
  const paths = leaves(input).map((leaf) => leaf.path);
  const textPaths = (fields: Set<string>) =>
    leaves(input)
      .filter((leaf) => typeof leaf.value === "string" && fields.has(leaf.path.at(-1) ?? ""))
      .map((leaf) => leaf.path);
  const options: Array<fc.Arbitrary<{ label: string; input: Input }>> = [
    // JSON.parse makes "__proto__" an own key, as it arrives over HTTP.
    fc
      .constantFrom("isAdmin", "role_override", "__proto__", "constructor")
      .map((key) => ({ label: `unknown key ${key}`, input: JSON.parse(JSON.stringify(input).replace(/^\{/, `{"${key}":{"admin":true},`)) as Input })),
    fc.constantFrom(...paths).chain((path) =>
      fc
        .constantFrom<unknown>(42, true, null, [], { nested: "object" })
        .filter((value) => typeof value !== typeof leaves(input).find((leaf) => leaf.path.join(".") === path.join("."))?.value)
        .map((value) => ({ label: `wrong type at ${path.join(".")}`, input: replaceAt(input, path, value) })),
    ),
  ];
  const markup = textPaths(TEXT_FIELDS);
  if (markup.length > 0) {
    options.push(
      fc
        .constantFrom(...markup)
        .chain((path) =>
          fc
            .constantFrom("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
            .map((value) => ({ label: `markup at ${path.join(".")}`, input: replaceAt(input, path, value) })),
        ),
    );
  }
  const long = textPaths(LONG_TEXT_FIELDS);
  if (long.length > 0)
    options.push(fc.constantFrom(...long).map((path) => ({ label: `10 KB string at ${path.join(".")}`, input: replaceAt(input, path, "x".repeat(10_000)) })));
  return fc.oneof(...options);
};

describe("hostile input", () => {
  it("gets a validation error from every procedure and changes nothing", async () => {
    const before = await snapshot(app, tenant.orgId);
    const inputs = scopedInputs(tenant, tenant);
    const calls = fc.oneof(
      ...Object.entries(inputs).map(([path, valid]) => valid.chain((input) => hostileChange(input).map((change) => ({ path, ...change })))),
    );
    await fc.assert(
      fc.asyncProperty(calls, async ({ path, label, input }) => {
        const outcome = await procedureAt(
          app,
          tenant.user,
          path,
        )(input).then(
          () => null,
          (error: unknown) => error,
        );
        if (outcome === null) throw new Error(`${path} accepted ${label}: ${JSON.stringify(input).slice(0, 300)}`);
        expect(outcome).toBeInstanceOf(TRPCError);
        expect((outcome as TRPCError).code).toBe("BAD_REQUEST");
        expect((outcome as TRPCError).message.length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
    expect(await snapshot(app, tenant.orgId)).toEqual(before);
  });

  it("names the offending field in the error a form shows", async () => {
    const error = await app
      .caller(tenant.user)
      .projects.create({ orgId: tenant.orgId, name: "<b>bold</b>" })
      .catch((caught: unknown) => caught as TRPCError);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toContain("must not contain < or >");
  });
});
