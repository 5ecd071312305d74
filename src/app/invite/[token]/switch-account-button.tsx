"use client";

import { signOut } from "next-auth/react";
import { useState } from "react";
import { HydratedButton as Button } from "~/components/hydrated-button";

export function SwitchAccountButton({ callbackUrl }: { callbackUrl: string }) {
  const [pending, setPending] = useState(false);
  return (
    <Button
      variant="outline"
      className="w-full"
      disabled={pending}
      onClick={() => {
        setPending(true);
        void signOut({ callbackUrl });
      }}
    >
      {pending ? "Signing out…" : "Sign out and switch account"}
    </Button>
  );
}
