export const runtime = "edge";
export const dynamic = "force-dynamic";

/** Reading a profile goes through the DuckDB query service, which is not served yet. */
export function GET() {
  return Response.json({ error: "not_implemented", message: "Reading profiles needs the DuckDB query service, which is not available yet." }, { status: 501 });
}
