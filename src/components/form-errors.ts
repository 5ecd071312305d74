import { z, type ZodError } from "zod";

/** Messages by field path ("email", "fields.0.name"); "_form" holds errors of the whole input. */
export type FieldErrors = Partial<Record<string, string>>;

export interface FormErrors {
  /** A message about the whole form, e.g. the server's "An account with this email already exists". */
  form: string | null;
  fields: FieldErrors;
}

export const NO_ERRORS: FormErrors = { form: null, fields: {} };

type Issue = ZodError["issues"][number];

/** An issue without its message and path: zod's finished issues and the raw ones its error maps see. */
type IssueDetails = Issue extends infer Each ? (Each extends Issue ? Omit<Each, "message" | "path"> : never) : never;

/**
 * Our domain schemas word their messages to follow the label ("is required"); zod's built-in
 * ones ("Too small: expected string to have >=1 characters") are worded in the same style. The
 * error map for parsing form input (useZodForm): zod asks it only when the schema gave no message.
 */
export function humanizedErrorMap(issue: IssueDetails): string | undefined {
  switch (issue.code) {
    case "too_small": {
      const minimum = Number(issue.minimum);
      if (issue.origin === "string") return minimum <= 1 ? "is required" : `needs at least ${minimum} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `needs at least ${minimum} entries`;
      return `must be at least ${minimum}`;
    }
    case "too_big": {
      const maximum = Number(issue.maximum);
      if (issue.origin === "string") return `is at most ${maximum} characters`;
      if (issue.origin === "array" || issue.origin === "set") return `has at most ${maximum} entries`;
      return `must be at most ${maximum}`;
    }
    case "invalid_type":
      if (issue.expected === "int") return "must be a whole number";
      if (issue.expected === "number") return "must be a number";
      return "is required";
    case "invalid_format":
      if (issue.format === "url") return "is not a valid URL (use http:// or https://)";
      if (issue.format === "email") return "is not a valid email address";
      if (issue.format === "regex") return "has characters that are not allowed";
      return "is not in the expected format";
    case "invalid_value":
      return `must be one of: ${issue.values.map(String).join(", ")}`;
    case "not_multiple_of":
      return "must be a whole number";
    default:
      return undefined;
  }
}

/**
 * react-hook-form's nested errors as the flat map the list editors take ("actions.0.title");
 * an error of a whole list (its "root") is keyed by the list.
 */
export function flatFieldErrors(errors: unknown, prefix = ""): FieldErrors {
  const flat: FieldErrors = {};
  if (typeof errors !== "object" || errors === null) return flat;
  for (const [key, value] of Object.entries(errors)) {
    if (key === "message") {
      if (typeof value === "string" && value) flat[prefix || "_form"] ??= value;
    } else if (key !== "ref" && key !== "type" && key !== "types") {
      const path = key === "root" ? prefix : prefix ? `${prefix}.${key}` : key;
      for (const [nested, message] of Object.entries(flatFieldErrors(value, path))) flat[nested] ??= message;
    }
  }
  return flat;
}

// What our tRPC error formatter adds to `error.data` (see src/server/api/trpc.ts).
const serverErrorShape = z.object({
  message: z.string(),
  data: z
    .object({
      code: z.string().optional(),
      zodError: z
        .object({
          formErrors: z.array(z.string()).default([]),
          fieldErrors: z.record(z.string(), z.array(z.string()).optional()).default({}),
        })
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});

/**
 * Turns a tRPC client error into messages a person can act on: the server's own message,
 * or, for an input validation failure, the message of each field it names.
 */
export function errorsFromServer(error: unknown): FormErrors {
  if (!error) return NO_ERRORS;
  const parsed = serverErrorShape.safeParse(error);
  if (!parsed.success) return { form: "Something went wrong; please try again.", fields: {} };
  const { message, data } = parsed.data;
  const zodError = data?.zodError;
  if (zodError) {
    const fields: FieldErrors = {};
    for (const [key, messages] of Object.entries(zodError.fieldErrors)) {
      if (messages?.[0]) fields[key] = messages[0];
    }
    return { form: zodError.formErrors[0] ?? (Object.keys(fields).length ? null : "The server refused this input."), fields };
  }
  if (data?.code === "INTERNAL_SERVER_ERROR" || /fetch failed|Failed to fetch|NetworkError/i.test(message)) {
    return { form: "Something went wrong on our side; please try again.", fields: {} };
  }
  return { form: message, fields: {} };
}

/** The one message to show for an error from a button action (revoke, remove, …). */
export function errorMessage(error: unknown): string | null {
  if (!error) return null;
  const { form, fields } = errorsFromServer(error);
  return form ?? Object.entries(fields).map(([key, message]) => `${key} ${message ?? ""}`.trim())[0] ?? null;
}

/**
 * Domain messages are written to follow the field's label ("is required", "needs at least
 * 10 characters"), so "Password needs at least 10 characters" reads as a sentence.
 */
export function describeFieldError(label: string, message: string): string {
  return /^[a-z]/.test(message) ? `${label} ${message}` : message;
}

/** The server's field errors that the form has no input for, each worded with its key. */
export function unplacedErrors(server: FormErrors, inlineKeys: readonly string[]): string[] {
  return Object.entries(server.fields)
    .filter(([key]) => !inlineKeys.includes(key))
    .map(([key, message]) => describeFieldError(key, message ?? ""));
}
