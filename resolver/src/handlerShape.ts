// Which handler shapes the installed undici's dispatchers accept. undici 7's take both the older callbacks
// (onConnect/onHeaders/onData/onComplete/onError) and the newer ones (onRequestStart/onResponseStart/...);
// undici 8's take only the newer, and refuse an older-shape handler with "invalid onRequestStart method". The
// global fetch of Node.js 20, 22 and 24 (undici 6 and 7 inside) still hands a dispatcher older-shape handlers, so
// with undici 8 installed they must be adapted before they reach its Agent. undici 8 exports the adapter it uses
// itself for Node's bundled fetch, Dispatcher1Wrapper; undici 7 has none and needs none.

import type { Dispatcher } from "undici";
import * as undici from "undici";

/** A dispatcher that takes older-shape handlers and hands the one it wraps newer-shape ones. */
export type OlderShapeAdapter = new (dispatcher: Dispatcher) => Dispatcher;

/** undici 8's Dispatcher1Wrapper; undefined with undici 7, whose dispatchers take older-shape handlers as they are. */
export const olderShapeAdapter: OlderShapeAdapter | undefined = (
  undici as unknown as { Dispatcher1Wrapper?: OlderShapeAdapter }
).Dispatcher1Wrapper;
