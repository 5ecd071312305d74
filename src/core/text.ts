import { z } from "zod";

/** PostgreSQL text cannot hold NUL: refused up front, as a 4xx, rather than failing the write. */
const NO_NUL = "must not contain NUL characters";

/** Text with no NUL character (rules and other free text that plainText's bracket rule does not fit). */
export function nulFree(schema: z.ZodString) {
  return schema.refine((value) => !value.includes("\u0000"), NO_NUL);
}

/**
 * A trimmed single-line text a person typed: names, titles, descriptions. Angle brackets are
 * refused so markup never reaches storage, mails or other tools reading it.
 */
export function plainText(max: number, opts: { required?: boolean } = {}) {
  const base = z.string().trim().max(max, `is at most ${max} characters`);
  return (opts.required === false ? base : base.min(1, "is required"))
    .refine((value) => !/[<>]/.test(value), "must not contain < or >")
    .refine((value) => !value.includes("\u0000"), NO_NUL);
}
