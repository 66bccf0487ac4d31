// The time service: GET /time/{Go layout}?tz=Area/City. Port and SRV name: examples/manifest.ts.
import { serviceMain } from "../shared/serviceMain";
import { timeRoute } from "./timeRoute";

serviceMain({ name: "time", routes: () => [timeRoute()] }).catch((err: unknown) => {
  process.stderr.write(`time: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
