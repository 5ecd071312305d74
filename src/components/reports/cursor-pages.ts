"use client";

import { useInfiniteQuery, type InfiniteData } from "@tanstack/react-query";

export interface CursorPage<TItem, TCursor> {
  items: TItem[];
  nextCursor: TCursor | null;
}

/**
 * "Load more" lists over our keyset-paged procedures. tRPC's own infiniteQueryOptions adds a
 * `direction` key to the input, which our strict procedure inputs refuse, so the page fetch is
 * passed in and the cursor handed over here.
 */
export function useCursorPages<TItem, TCursor>(queryKey: readonly unknown[], fetchPage: (cursor: TCursor | null) => Promise<CursorPage<TItem, TCursor>>) {
  return useInfiniteQuery<CursorPage<TItem, TCursor>, Error, InfiniteData<CursorPage<TItem, TCursor>, TCursor | null>, readonly unknown[], TCursor | null>({
    queryKey,
    queryFn: ({ pageParam }) => fetchPage(pageParam as TCursor | null),
    initialPageParam: null as TCursor | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}
