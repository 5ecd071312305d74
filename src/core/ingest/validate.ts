/**
 * Tracking-plan validation of an event already in the internal form. Pure.
 *
 * Rules, in order:
 * - size: an event over `maxEventBytes` (JSON) is `malformed`;
 * - time: `cts` more than `maxFutureMs` ahead of the server clock, or older than the project's
 *   data retention, is `malformed` (it could never be reported correctly);
 * - `allowed_event_names` (when non-empty) must contain the name, else `unplanned_event`;
 * - when the plan defines event types, the name must be one of them (`unplanned_event`), required
 *   fields must be present (`required_missing`), typed fields must match (`datatype_mismatch`), and
 *   props that are neither fields of the type nor event attribute definitions are
 *   `additional_properties`;
 * - more distinct custom props than `max_custom_attributes` is `additional_properties`.
 * `malformed` is always refused; the others are refused when the plan is enforced, and recorded
 * on the accepted event when it is observed.
 */
import type { InternalEvent, JsonValue, Violation } from "../events";
import { STORABLE_LIMITS } from "../storable";
import type { EventFieldType, ResolvedKey } from "../tracking-plan";

export interface ValidationLimits {
  maxEventBytes: number;
  maxFutureMs: number;
}

export const DEFAULT_VALIDATION_LIMITS: ValidationLimits = { maxEventBytes: STORABLE_LIMITS.defaultEventBytes, maxFutureMs: 60 * 60 * 1000 };

export type Verdict = { accept: true; violations: Violation[] } | { accept: false; violations: Violation[] };

const DAY_MS = 24 * 3600 * 1000;

export function matchesType(value: JsonValue, type: EventFieldType | string): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "boolean":
      return typeof value === "boolean";
    case "timestamp":
      return (typeof value === "string" && !Number.isNaN(Date.parse(value))) || (typeof value === "number" && Number.isFinite(value));
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

export function validateEvent(event: InternalEvent, plan: ResolvedKey, limits: ValidationLimits = DEFAULT_VALIDATION_LIMITS): Verdict {
  const bytes = new TextEncoder().encode(JSON.stringify(event)).length;
  if (bytes > limits.maxEventBytes)
    return { accept: false, violations: [{ type: "malformed", message: `event is ${bytes} bytes; the limit is ${limits.maxEventBytes}` }] };
  if (event.cts > event.sts + limits.maxFutureMs) {
    return {
      accept: false,
      violations: [{ type: "malformed", field: "timestamp", message: `timestamp is more than ${limits.maxFutureMs / 60000} minutes in the future` }],
    };
  }
  if (event.cts < event.sts - plan.project.dataRetentionDays * DAY_MS) {
    return {
      accept: false,
      violations: [{ type: "malformed", field: "timestamp", message: `timestamp is older than the project's ${plan.project.dataRetentionDays}-day retention` }],
    };
  }

  const violations: Violation[] = [];
  const { allowedEventNames, maxCustomAttributes } = plan.project;
  if (allowedEventNames.length > 0 && !allowedEventNames.includes(event.event_name)) {
    violations.push({ type: "unplanned_event", field: "event_name", message: `"${event.event_name}" is not in the project's allowed event names` });
  }

  const propNames = Object.keys(event.props);
  if (plan.eventTypes.length > 0) {
    const eventType = plan.eventTypes.find((candidate) => candidate.name === event.event_name);
    if (!eventType) {
      if (!violations.some((violation) => violation.type === "unplanned_event")) {
        violations.push({ type: "unplanned_event", field: "event_name", message: `"${event.event_name}" is not an event type of the tracking plan` });
      }
    } else {
      const attributes = new Set(plan.attributes.filter((attribute) => attribute.entity === "event").map((attribute) => attribute.name));
      const fields = new Map(eventType.fields.map((field) => [field.name, field]));
      for (const field of eventType.fields) {
        const value = Object.prototype.hasOwnProperty.call(event.props, field.name) ? event.props[field.name] : undefined;
        if (value === undefined || value === null) {
          if (field.required) violations.push({ type: "required_missing", field: `props.${field.name}`, message: `"${field.name}" is required` });
        } else if (!matchesType(value, field.dataType)) {
          violations.push({ type: "datatype_mismatch", field: `props.${field.name}`, message: `"${field.name}" must be ${field.dataType}` });
        }
      }
      for (const name of propNames) {
        if (!fields.has(name) && !attributes.has(name))
          violations.push({ type: "additional_properties", field: `props.${name}`, message: `"${name}" is not a field of "${event.event_name}"` });
      }
    }
  }
  if (propNames.length > maxCustomAttributes) {
    violations.push({
      type: "additional_properties",
      field: "props",
      message: `${propNames.length} custom attributes; the project allows ${maxCustomAttributes}`,
    });
  }

  if (violations.length === 0) return { accept: true, violations };
  return plan.project.planEnforcement === "enforce" ? { accept: false, violations } : { accept: true, violations };
}
