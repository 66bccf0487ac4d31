// The calc service: GET /calc/{formula}. Port and SRV name: examples/manifest.ts.
import { serviceMain } from "../shared/serviceMain";
import { calcRoute } from "./calcRoute";

serviceMain({ name: "calc", routes: () => [calcRoute()] }).catch((err: unknown) => {
  process.stderr.write(`calc: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
