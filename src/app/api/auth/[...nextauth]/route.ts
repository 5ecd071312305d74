import NextAuth from "next-auth";
import { authOptions } from "~/server/auth/options";
import { guardSignIn } from "~/server/auth/sign-in-guard";
import { signInGate } from "~/server/auth/sign-in-throttle";
import { db } from "~/server/db";

export const dynamic = "force-dynamic";

let gate: ReturnType<typeof signInGate> | undefined;

const handler = guardSignIn(
  (request: Request, context: { params: Promise<{ nextauth: string[] }> }) => NextAuth(authOptions())(request, context),
  () => (gate ??= signInGate(db())),
);

export { handler as GET, handler as POST };
