import "server-only";
import { TRPCError } from "@trpc/server";
import { notFound } from "next/navigation";

/**
 * Runs a server-side tRPC call for a page; a tenant the user cannot see (NOT_FOUND) or a
 * malformed id in the URL (BAD_REQUEST) becomes the 404 page, as if it did not exist.
 */
export async function orNotFound<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) notFound();
    throw error;
  }
}
