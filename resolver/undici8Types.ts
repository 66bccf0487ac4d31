// Compiled only by tsconfig.undici8.json, which type-checks src against undici 8's types (the `undici8`
// devDependency, npm:undici@^8) since the package takes undici 7 or 8. A `paths` entry that finds nothing falls
// back to the `undici` installed (7) without a word; only undici 8 exports Dispatcher1Wrapper, so this line fails
// that check instead of letting it pass as a second look at undici 7.
import type { Dispatcher1Wrapper } from "undici";

export type Undici8Dispatcher1Wrapper = Dispatcher1Wrapper;
