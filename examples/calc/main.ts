// The calc service: GET /calc/{formula}. Port 8081, published as _calc._tcp.
import { serviceMain } from "../shared/serviceMain";
import { calcRoute } from "./calcRoute";

serviceMain({ name: "calc", defaultPort: 8081, routes: () => [calcRoute()], protectRoutes: true }).catch(
  (err: unknown) => {
    process.stderr.write(`calc: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
