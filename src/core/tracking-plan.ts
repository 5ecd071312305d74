import { z } from "zod";
import { RESERVED_KEYS } from "./storable";
import { plainText } from "./text";

export const identifierName = z
  .string()
  .trim()
  .min(1, "is required")
  .max(128, "is at most 128 characters")
  .regex(/^[A-Za-z_$][\w.$-]*$/, "may use letters, digits, _ . - $ and must not start with a digit")
  .refine((name) => !RESERVED_KEYS.has(name), "is a reserved name");

export const EVENT_FIELD_TYPES = ["string", "number", "integer", "boolean", "timestamp", "array", "object"] as const;
export type EventFieldType = (typeof EVENT_FIELD_TYPES)[number];

export const ATTRIBUTE_TYPES = ["string", "number", "boolean", "array", "object", "timestamp"] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

export const ATTRIBUTE_ENTITIES = ["event", "profile"] as const;

export const eventFieldSchema = z.strictObject({
  name: identifierName,
  dataType: z.enum(EVENT_FIELD_TYPES),
  required: z.boolean().default(false),
});
export type EventFieldInput = z.infer<typeof eventFieldSchema>;

export const eventTypeSchema = z.strictObject({
  name: identifierName,
  description: plainText(1000, { required: false }).default(""),
  fields: z
    .array(eventFieldSchema)
    .max(200)
    .default([])
    .refine((fields) => new Set(fields.map((field) => field.name)).size === fields.length, "field names must be unique"),
});
export type EventTypeInput = z.infer<typeof eventTypeSchema>;

export const attributeDefinitionSchema = z
  .strictObject({
    entity: z.enum(ATTRIBUTE_ENTITIES),
    name: identifierName,
    type: z.enum(ATTRIBUTE_TYPES),
    itemsType: z.enum(["string", "number", "boolean", "object", "timestamp"]).nullable().default(null),
    indexed: z.boolean().default(false),
  })
  .refine((value) => value.type === "array" || value.itemsType === null, { message: "items type applies to arrays only", path: ["itemsType"] });
export type AttributeDefinitionInput = z.infer<typeof attributeDefinitionSchema>;

/** What the edge caches per API key: the project, its settings and tracking plan. */
export const resolvedKeySchema = z.object({
  keyId: z.string(),
  project: z.object({
    id: z.string(),
    organizationId: z.string(),
    archived: z.boolean(),
    timezone: z.string(),
    dataRetentionDays: z.number().int(),
    maxCustomAttributes: z.number().int(),
    allowedEventNames: z.array(z.string()),
    planEnforcement: z.enum(["observe", "enforce"]),
    rateLimitPerSecond: z.number().int(),
  }),
  eventTypes: z.array(
    z.object({ name: z.string(), fields: z.array(z.object({ name: z.string(), dataType: z.enum(EVENT_FIELD_TYPES), required: z.boolean() })) }),
  ),
  attributes: z.array(z.object({ entity: z.enum(ATTRIBUTE_ENTITIES), name: z.string(), type: z.enum(ATTRIBUTE_TYPES), itemsType: z.string().nullable() })),
});
export type ResolvedKey = z.infer<typeof resolvedKeySchema>;
