// The time service: GET /time/{Go layout}?tz=Area/City. Port 8080, published as _time._tcp.
import { serviceMain } from "../shared/serviceMain";
import { timeRoute } from "./timeRoute";

serviceMain({ name: "time", defaultPort: 8080, routes: () => [timeRoute()], protectRoutes: true }).catch(
  (err: unknown) => {
    process.stderr.write(`time: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
