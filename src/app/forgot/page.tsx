import type { Metadata } from "next";
import { AuthShell } from "~/components/auth-shell";
import { mailIsDelivered } from "~/server/mail";
import { ForgotPasswordForm } from "./forgot-password-form";

// Whether mail is set up is read at run time: one build serves installs with and without SMTP.
export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Reset your password · Prism" };

export default function ForgotPasswordPage() {
  return (
    <AuthShell>
      <ForgotPasswordForm mailDelivered={mailIsDelivered()} />
    </AuthShell>
  );
}
