// HTTP basic authentication (RFC 7617) with a constant-time comparison: both sides are hashed to a
// fixed length first, so neither the length nor the first differing byte shows in the timing.
import { createHash, timingSafeEqual } from "node:crypto";

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

/** Checks `Authorization` headers against one username and password; never keeps them in clear. */
export class BasicAuth {
  private readonly user: Buffer;
  private readonly pass: Buffer;

  constructor(username: string, password: string) {
    this.user = digest(username);
    this.pass = digest(password);
  }

  /** True when the header carries exactly the configured credentials. */
  check(header: string | undefined): boolean {
    const m = /^Basic[ ]+([A-Za-z0-9+/=]{1,1024})[ ]*$/i.exec(header ?? "");
    const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    const user = colon < 0 ? "" : decoded.slice(0, colon);
    const pass = colon < 0 ? "" : decoded.slice(colon + 1);
    // Both comparisons always run, so a right username does not answer faster than a wrong one.
    const userOk = timingSafeEqual(digest(user), this.user);
    const passOk = timingSafeEqual(digest(pass), this.pass);
    return m !== null && colon >= 0 && userOk && passOk;
  }
}

/** The `Authorization` header value for a username and password. */
export function basicAuthHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}
