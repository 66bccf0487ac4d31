// Keeps web pages away from the local zone's API. The zone listens on loopback without credentials (as a
// developer's tool), so the one caller to fear is a browser on the same machine: a page can POST a
// `text/plain` body to any address without a preflight, and with DNS rebinding it can make its own
// origin resolve to 127.0.0.1 and read the answers too. Browsers always send `Origin` with a cross-site or
// same-origin POST, and after a rebinding the Host header is the page's domain name, so: no Origin, and a
// Host that is an address or `localhost`. SDKs, the CLI and curl send neither an Origin nor a domain name.
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** Why a request looks like it comes from a web page, or undefined when it may proceed. */
export function browserRefusal(req: IncomingMessage): string | undefined {
  if (req.headers.origin !== undefined) {
    return "the local zone does not answer requests from web pages (the request carries an Origin header)";
  }
  const host = hostName(req.headers.host ?? "");
  if (host !== "localhost" && isIP(host) === 0) {
    return `the local zone answers only requests addressed to an IP address or localhost, not to "${host.slice(0, 80)}"`;
  }
  return undefined;
}

/** The host part of a Host header: `[::1]:5380` → `::1`, `127.0.0.1:5380` → `127.0.0.1`. */
function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") === -1 ? undefined : h.indexOf("]"));
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}
