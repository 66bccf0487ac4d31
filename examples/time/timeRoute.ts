// GET /time/{layout}?tz=Area/City: the current time in a Go reference layout.
import { HttpError } from "../shared/httpError";
import type { Route } from "../shared/httpService";
import { formatGoLayout } from "./goLayout";
import { UnknownZoneError, ZoneLookup } from "./zoneLookup";

/** Longer layouts are refused: the answer grows with the layout and nobody needs more. */
export const MAX_LAYOUT_LENGTH = 256;

/** The current instant. Date.now() follows the system clock as it is adjusted; its resolution is 1 ms. */
function now(): { unixSeconds: number; nanos: number } {
  const ms = Date.now();
  const unixSeconds = Math.floor(ms / 1000);
  return { unixSeconds, nanos: (ms - unixSeconds * 1000) * 1_000_000 };
}

export function timeRoute(zones = new ZoneLookup(), clock = now): Route {
  return {
    prefix: "/time/",
    handle(layout, query) {
      if (layout === "") throw new HttpError(400, "empty layout: try /time/2006-01-02T15:04:05Z07:00");
      if (layout.length > MAX_LAYOUT_LENGTH) {
        throw new HttpError(400, `layout longer than ${MAX_LAYOUT_LENGTH} characters`);
      }
      const tz = query.get("tz") ?? "UTC";
      const t = clock();
      let zone: ReturnType<ZoneLookup["at"]>;
      try {
        zone = zones.at(tz, t.unixSeconds);
      } catch (err) {
        if (err instanceof UnknownZoneError) {
          throw new HttpError(400, `${err.message}: use an IANA name such as Europe/Paris`, { tz });
        }
        throw err;
      }
      const time = formatGoLayout(layout, {
        unixSeconds: t.unixSeconds,
        nanos: t.nanos,
        offsetSeconds: zone.offsetSeconds,
        zoneName: zone.abbreviation,
      });
      return { json: { time, layout, tz: zone.zone } };
    },
  };
}
