import { TRPCError } from "@trpc/server";

interface PrismaKnownError {
  code: string;
  meta?: { target?: unknown; modelName?: string; driverAdapterError?: { cause?: { constraint?: { fields?: string[] } } } };
}

function isPrismaKnownError(error: unknown): error is PrismaKnownError {
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    typeof (error as { code: unknown }).code === "string" &&
    /^P\d{4}$/.test((error as { code: string }).code)
  );
}

/** The field(s) a unique violation names, however the adapter reports them. */
function conflictFields(error: PrismaKnownError): string[] {
  const target = error.meta?.target;
  if (Array.isArray(target)) return target.map(String);
  if (typeof target === "string") return [target];
  return error.meta?.driverAdapterError?.cause?.constraint?.fields ?? [];
}

/** Runs `work`, turning a unique violation into CONFLICT naming `field` (or the column Prisma names). */
export async function withConflict<T>(work: () => Promise<T>, message: (field: string) => string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isPrismaKnownError(error) && error.code === "P2002") {
      const fields = conflictFields(error).filter((name) => !/_id$|Id$/.test(name.replace(/"/g, "")));
      const field = (fields[0] ?? "name").replace(/"/g, "");
      throw new TRPCError({ code: "CONFLICT", message: message(field), cause: error });
    }
    throw error;
  }
}
