import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { EmptyState } from "./empty-state";
import { QueryState, type QueryLike } from "./query-state";

function query(state: Partial<QueryLike<string[]>>): QueryLike<string[]> {
  return { isPending: false, isError: false, isFetching: false, error: null, data: undefined, refetch: () => Promise.resolve(), ...state };
}

const render = (state: Partial<QueryLike<string[]>>) =>
  renderToStaticMarkup(
    createElement(QueryState<string[]>, {
      query: query(state),
      rows: 2,
      isEmpty: (data) => data.length === 0,
      empty: createElement(EmptyState, { title: "Nothing yet" }),
      children: (data) => data.join(", "),
    }),
  );

describe("QueryState", () => {
  it("shows skeleton bars while loading", () => {
    const html = render({ isPending: true });
    expect(html).toContain('aria-label="Loading"');
    expect(html.match(/animate-pulse/g)).toHaveLength(2);
  });

  it("shows the server's message and a way to try again when the load failed", () => {
    const html = render({ isError: true, error: { message: "Project not found" }, data: ["stale"] });
    expect(html).toContain('role="alert"');
    expect(html).toContain("Project not found");
    expect(html).toContain("Try again");
    expect(html).not.toContain("stale");
  });

  it("shows the empty state, or the data", () => {
    expect(render({ data: [] })).toContain("Nothing yet");
    expect(render({ data: ["a", "b"] })).toBe("a, b");
  });
});
