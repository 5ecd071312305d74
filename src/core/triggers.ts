import { z } from "zod";
import { nulFree, plainText } from "./text";
import { identifierName } from "./tracking-plan";

/** POSTs the firing to one of the project's webhook endpoints, which holds the URL and signing secret. */
export const webhookAction = z.strictObject({
  type: z.literal("webhook"),
  endpointId: z.string().trim().min(1, "is required").max(64),
});

export const kafkaPublishAction = z.strictObject({
  type: z.literal("kafka_publish"),
  topic: z
    .string()
    .trim()
    .min(1)
    .max(249)
    .regex(/^[A-Za-z0-9._-]+$/, "may use letters, digits, . _ -"),
});

export const notificationAction = z.strictObject({
  type: z.literal("notification"),
  title: plainText(200),
  body: plainText(2000, { required: false }).default(""),
});

export const tagProfileAction = z.strictObject({
  type: z.literal("tag_profile"),
  tag: plainText(100),
});

export const updateAttributeAction = z.strictObject({
  type: z.literal("update_attribute"),
  attribute: identifierName,
  value: z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]),
});

export const triggerActionSchema = z.discriminatedUnion("type", [
  webhookAction,
  kafkaPublishAction,
  notificationAction,
  tagProfileAction,
  updateAttributeAction,
]);
export type TriggerAction = z.infer<typeof triggerActionSchema>;
export const TRIGGER_ACTION_TYPES = ["webhook", "kafka_publish", "notification", "tag_profile", "update_attribute"] as const;

export const triggerInputSchema = z.strictObject({
  name: plainText(120),
  rule: nulFree(z.string().trim().min(1, "is required").max(4000)),
  actions: z.array(triggerActionSchema).max(10).default([]),
  enabled: z.boolean().default(true),
  cooldownSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 24 * 3600)
    .default(0),
});
export type TriggerInput = z.infer<typeof triggerInputSchema>;
