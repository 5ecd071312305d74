import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { getServerSession } from "next-auth";
import { db } from "~/server/db";
import { appEnv } from "~/server/env";
import { describeError } from "~/server/api/error-log";
import { checkCredentials } from "~/server/auth/credentials";
import { currentSessionVersion, renewedVersion, SessionRevoked } from "~/server/auth/session-version";
import { appLogger } from "~/server/logger";

declare module "next-auth" {
  interface Session {
    user: { id: string; email: string; name: string | null; sessionVersion: number };
  }
  interface User {
    sessionVersion?: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    /** The user's session version at sign-in; tokens from before this field count as version 0. */
    sv?: number;
  }
}

/**
 * Sessions are signed JWTs that expire after 30 days without use. Each use checks the token's
 * session version against the user's, so a password reset or change ends every older session.
 */
export function authOptions(): NextAuthOptions {
  return {
    secret: appEnv().NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60, updateAge: 24 * 60 * 60 },
    pages: { signIn: "/login" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        authorize: (raw) => checkCredentials(db(), raw),
      }),
    ],
    callbacks: {
      async jwt({ token, user, trigger, session }) {
        if (user) {
          token.sub = user.id;
          token.sv = user.sessionVersion ?? 0;
          return token;
        }
        if (!token.sub) throw new SessionRevoked("session without a user");
        let current: number | null;
        try {
          // The session that changed the password moves to the new version with the proof it was given.
          if (trigger === "update") {
            const renewed = await renewedVersion(db(), token.sub, (session as { renewal?: unknown } | undefined)?.renewal);
            if (renewed !== null) token.sv = renewed;
          }
          current = await currentSessionVersion(db(), token.sub);
        } catch (error) {
          // PostgreSQL unreachable: keep the cookie rather than sign everyone out. Nothing is served on
          // it meanwhile, since protectedProcedure checks the version again and fails closed.
          appLogger()
            .child({ component: "auth" })
            .warn({ err: describeError(error) }, "session version not checked");
          return token;
        }
        // Throwing ends the session: next-auth clears its cookie and answers as signed out.
        if (current !== (token.sv ?? 0)) throw new SessionRevoked("password reset or changed since sign-in");
        return token;
      },
      session({ session, token }) {
        session.user = { id: token.sub ?? "", email: token.email ?? "", name: token.name ?? null, sessionVersion: token.sv ?? 0 };
        return session;
      },
    },
    logger: {
      error(code, metadata) {
        const log = appLogger().child({ component: "auth" });
        const error = metadata instanceof Error ? metadata : (metadata as { error?: unknown } | undefined)?.error;
        if (error instanceof SessionRevoked) log.info({ code, reason: error.message }, "session ended");
        else log.error({ code, err: describeError(error) }, "next-auth error");
      },
      warn(code) {
        appLogger().child({ component: "auth" }).warn({ code }, "next-auth warning");
      },
      debug() {},
    },
  };
}

export function getSession() {
  return getServerSession(authOptions());
}
