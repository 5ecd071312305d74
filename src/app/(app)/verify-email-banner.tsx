"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { useTRPC } from "~/trpc/react";

export function VerifyEmailBanner({ email }: { email: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const resend = useMutation(
    trpc.account.resendVerification.mutationOptions({
      onSuccess: (result) => {
        if (!result.sent) router.refresh();
      },
    }),
  );
  const problem = errorMessage(resend.error);
  return (
    <div role="region" aria-label="Email verification" className="border-b border-amber-300 bg-amber-50 text-amber-900">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-6 py-2 text-sm">
        <p>
          <span className="font-medium">Verify your email.</span> We sent a link to {email}; open it to confirm your address.
        </p>
        <div className="flex items-center gap-3">
          {resend.isSuccess ? <span role="status">{resend.data.sent ? "Sent! Check your inbox." : "Your email is already verified."}</span> : null}
          {problem ? (
            <span role="alert" className="text-destructive">
              {problem}
            </span>
          ) : null}
          <Button
            size="sm"
            variant="outline"
            className="border-amber-400 bg-transparent hover:bg-amber-100"
            disabled={resend.isPending}
            onClick={() => resend.mutate()}
          >
            {resend.isPending ? "Sending…" : "Resend verification email"}
          </Button>
        </div>
      </div>
    </div>
  );
}
