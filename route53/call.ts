// How the edge sends a request: through the caller's wrapper, which observes (counts), retries and
// translates errors as that caller needs. The edge itself builds and sends the commands.

/** Runs one API request; `send` builds and sends it afresh each time it is called. */
export type Route53Call = <T>(operation: string, send: () => Promise<T>) => Promise<T>;

/** Sends once, counts nothing, translates nothing. */
export const sendOnce: Route53Call = (_operation, send) => send();
