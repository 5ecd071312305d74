import type { AlertAction } from "~/core/alerts";
import type { TriggerAction } from "~/core/triggers";

export const ACTION_LABELS = {
  webhook: "Webhook",
  kafka_publish: "Kafka publish",
  notification: "In-app notification",
  tag_profile: "Tag profile",
  update_attribute: "Update attribute",
} as const satisfies Record<TriggerAction["type"], string>;

export type ValueKind = "string" | "number" | "boolean" | "null";
export const VALUE_KINDS: readonly ValueKind[] = ["string", "number", "boolean", "null"];

/**
 * An action as the form edits it: every input is text until the form is saved. A metric alert's
 * profile actions also name their profile (`profileId`): an alert has no event profile.
 */
export type ActionDraft = { key: string } & (
  | { type: "webhook"; endpointId: string }
  | { type: "kafka_publish"; topic: string }
  | { type: "notification"; title: string; body: string }
  | { type: "tag_profile"; tag: string; profileId?: string }
  | { type: "update_attribute"; attribute: string; valueKind: ValueKind; value: string; profileId?: string }
);

let counter = 0;
export const newDraftKey = () => `action-${++counter}`;

export function emptyDraft(type: TriggerAction["type"]): ActionDraft {
  const key = newDraftKey();
  switch (type) {
    case "webhook":
      return { key, type, endpointId: "" };
    case "kafka_publish":
      return { key, type, topic: "" };
    case "notification":
      return { key, type, title: "", body: "" };
    case "tag_profile":
      return { key, type, tag: "" };
    case "update_attribute":
      return { key, type, attribute: "", valueKind: "string", value: "" };
  }
}

export function draftFromAction(action: TriggerAction | AlertAction, key: string): ActionDraft {
  const profile = "profileId" in action ? { profileId: action.profileId } : {};
  switch (action.type) {
    case "update_attribute": {
      const valueKind: ValueKind =
        action.value === null ? "null" : typeof action.value === "number" ? "number" : typeof action.value === "boolean" ? "boolean" : "string";
      return { key, type: action.type, attribute: action.attribute, valueKind, value: action.value === null ? "" : String(action.value), ...profile };
    }
    case "webhook":
      return { key, type: action.type, endpointId: action.endpointId };
    case "kafka_publish":
      return { key, type: action.type, topic: action.topic };
    case "notification":
      return { key, type: action.type, title: action.title, body: action.body };
    case "tag_profile":
      return { key, type: action.type, tag: action.tag, ...profile };
  }
}

/** The draft as the schema expects it; values zod will refuse (e.g. "abc" as a number) are passed on for it to explain. */
export function actionFromDraft(draft: ActionDraft): unknown {
  const profile = "profileId" in draft && draft.profileId !== undefined ? { profileId: draft.profileId } : {};
  switch (draft.type) {
    case "webhook":
      return { type: draft.type, endpointId: draft.endpointId };
    case "kafka_publish":
      return { type: draft.type, topic: draft.topic };
    case "notification":
      return { type: draft.type, title: draft.title, body: draft.body };
    case "tag_profile":
      return { type: draft.type, tag: draft.tag, ...profile };
    case "update_attribute": {
      const value =
        draft.valueKind === "null"
          ? null
          : draft.valueKind === "boolean"
            ? draft.value === "true"
            : draft.valueKind === "number"
              ? draft.value.trim() === ""
                ? Number.NaN
                : Number(draft.value)
              : draft.value;
      return { type: draft.type, attribute: draft.attribute, value, ...profile };
    }
  }
}

/** `endpointUrls` (endpoint id → URL) lets a webhook action name its URL rather than its endpoint id. */
export function describeAction(action: TriggerAction | AlertAction, endpointUrls?: ReadonlyMap<string, string>): string {
  const of = "profileId" in action ? ` of ${action.profileId}` : "";
  switch (action.type) {
    case "webhook":
      return `POST ${endpointUrls?.get(action.endpointId) ?? `to webhook endpoint ${action.endpointId}`}`;
    case "kafka_publish":
      return `Publish to ${action.topic}`;
    case "notification":
      return `Notify “${action.title}”`;
    case "tag_profile":
      return `Tag profile${of} “${action.tag}”`;
    case "update_attribute":
      return `Set ${action.attribute} = ${JSON.stringify(action.value)}${of}`;
  }
}
