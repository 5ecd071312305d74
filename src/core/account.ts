import { z } from "zod";
import { plainText } from "./text";

export const emailSchema = z.string().trim().toLowerCase().max(254, "is at most 254 characters").pipe(z.email("is not a valid email address"));
export const passwordSchema = z.string().min(10, "needs at least 10 characters").max(200, "is at most 200 characters");
export const personNameSchema = plainText(100);
export const displayNameSchema = personNameSchema;
export const tokenSchema = z
  .string()
  .trim()
  .min(20)
  .max(200)
  .regex(/^[\w-]+$/, "is not a valid link token");

export const signUpInput = z.strictObject({
  name: personNameSchema,
  email: emailSchema,
  password: passwordSchema,
  inviteToken: tokenSchema.optional(),
});
export type SignUpInput = z.infer<typeof signUpInput>;

/** The current password is only compared, so any length a password could have had is let through. */
export const changePasswordInput = z.strictObject({
  currentPassword: z.string().min(1, "is required").max(200, "is at most 200 characters"),
  newPassword: passwordSchema,
});
export type ChangePasswordInput = z.infer<typeof changePasswordInput>;
