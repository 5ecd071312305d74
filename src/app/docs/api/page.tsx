import type { Metadata } from "next";
import { openApiDocument } from "~/server/rest/openapi";

export const metadata: Metadata = { title: "REST API · Prism" };
export const dynamic = "force-static";

type Operation = {
  operationId: string;
  summary: string;
  "x-prism-scope": string;
  "x-prism-keys": string[];
  parameters?: Array<{ name: string; in: string; required: boolean; schema?: unknown; content?: Record<string, { schema: unknown }> }>;
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

function Schema({ label, schema }: { label: string; schema: unknown }) {
  return (
    <details className="mt-2 rounded border border-neutral-200 bg-neutral-50 p-2 text-sm">
      <summary className="cursor-pointer font-medium">{label}</summary>
      <pre className="mt-2 max-h-96 overflow-auto text-xs">{JSON.stringify(schema, null, 2)}</pre>
    </details>
  );
}

/** The OpenAPI document rendered from the same generator as /api/v1/openapi.json: no client script, no CDN. */
export default function ApiDocsPage() {
  const document = openApiDocument();
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation: operation as Operation })),
  );
  return (
    <main className="mx-auto max-w-4xl p-6">
      <h1 className="text-2xl font-semibold">{document.info.title}</h1>
      <p className="mt-2 text-sm text-neutral-700">{document.info.description}</p>
      <p className="mt-2 text-sm">
        Machine-readable:{" "}
        <a className="underline" href="/api/v1/openapi.json">
          /api/v1/openapi.json
        </a>{" "}
        (OpenAPI {document.openapi}).
      </p>
      <nav className="mt-4 text-sm" aria-label="Routes">
        <ul className="grid gap-1 sm:grid-cols-2">
          {operations.map(({ path, method, operation }) => (
            <li key={operation.operationId}>
              <a className="font-mono underline" href={`#${operation.operationId}`}>
                {method} {path}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {operations.map(({ path, method, operation }) => (
        <section key={operation.operationId} id={operation.operationId} className="mt-8 border-t border-neutral-200 pt-4">
          <h2 className="font-mono text-lg">
            {method} {path}
          </h2>
          <p className="mt-1 text-sm">{operation.summary}</p>
          <p className="mt-1 text-xs text-neutral-600">
            Key: {operation["x-prism-scope"]} ({operation["x-prism-keys"].join(" or ")} key)
          </p>
          {operation.parameters?.map((parameter) => (
            <Schema
              key={parameter.name}
              label={`${parameter.in} parameter ${parameter.name}${parameter.required ? " (required)" : ""}${parameter.content ? ", JSON-encoded" : ""}`}
              schema={parameter.schema ?? Object.values(parameter.content ?? {})[0]?.schema}
            />
          ))}
          {operation.requestBody && <Schema label="Request body (application/json)" schema={Object.values(operation.requestBody.content)[0]?.schema} />}
          <h3 className="mt-3 text-sm font-medium">Responses</h3>
          <ul className="text-sm">
            {Object.entries(operation.responses).map(([status, response]) => (
              <li key={status}>
                <span className="font-mono">{status}</span> {response.description}
                {status.startsWith("2") && response.content && (
                  <Schema label={`Answer (${Object.keys(response.content).join(", ")})`} schema={Object.values(response.content)[0]?.schema} />
                )}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </main>
  );
}
