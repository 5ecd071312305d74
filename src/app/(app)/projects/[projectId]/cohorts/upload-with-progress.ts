/**
 * A tRPC mutation sent over XMLHttpRequest, for large inputs: fetch (and so the tRPC client) cannot
 * report upload progress, XHR can. Same wire format as the client's (superjson envelope).
 */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** The server's error, shaped as errorsFromServer reads a tRPC client error ({ message, data }). */
export class MutationError extends Error {
  constructor(
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

export function mutateWithProgress<T>(path: string, input: unknown, onProgress: (progress: UploadProgress) => void, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/api/trpc/${path}`);
    request.setRequestHeader("content-type", "application/json");
    request.upload.onprogress = (event) => onProgress({ loaded: event.loaded, total: event.lengthComputable ? event.total : 0 });
    request.onerror = () => reject(new MutationError("The upload was interrupted; try again.", null));
    request.onabort = () => reject(new MutationError("The upload was cancelled.", null));
    request.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // Not JSON: an error page; the status says enough.
      }
      const envelope = body as { result?: { data?: { json?: T } }; error?: { json?: { message?: string; data?: unknown } } } | null;
      if (request.status >= 200 && request.status < 300 && envelope?.result?.data && "json" in envelope.result.data) {
        resolve(envelope.result.data.json as T);
        return;
      }
      const error = envelope?.error?.json;
      reject(new MutationError(error?.message ?? `The upload failed (${request.status}).`, error?.data ?? null));
    };
    signal?.addEventListener("abort", () => request.abort());
    request.send(JSON.stringify({ json: input }));
  });
}
