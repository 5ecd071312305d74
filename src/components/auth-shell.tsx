import Link from "next/link";
import type { ReactNode } from "react";

/** The centred frame of the signed-out pages: sign in, sign up, verify, reset, invite. */
export function AuthShell({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-6 bg-muted/40 p-6">
      <Link href="/" className="text-xl font-semibold tracking-tight">
        Prism
      </Link>
      {children}
    </main>
  );
}
