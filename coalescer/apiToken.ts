// The coalescer's shared bearer token, as both ends know it: the setting (one row in the coalescer's table and
// in the agent's), the header the agent sends, and the server's check of it. Without a token anyone who reaches
// the coalescer's port could claim any host's records; with it, only those who may read the token (on AWS: the
// agent's and the coalescer's task execution roles) can. It loads nothing but node:crypto.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Setting } from "../settings/settingsTable";

const MIN_LENGTH = 32;
const MAX_LENGTH = 512;
/** Visible ASCII: what an HTTP header carries as it is, and what no environment or flag trims. */
const VISIBLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * `ECSSD_COALESCER_TOKEN`. Its problems never quote the value (every other setting's do): a config error is
 * logged, and a token with one character wrong is still most of the token.
 */
export const COALESCER_TOKEN: Setting<string> = {
  env: "ECSSD_COALESCER_TOKEN",
  meaning: `the coalescer's bearer token, ${MIN_LENGTH} to ${MAX_LENGTH} visible ASCII characters (its value is never logged)`,
  unset: "no token: anyone who reaches the coalescer's port may write any host's records",
  parse: (text) => {
    const problems: string[] = [];
    if (text.length < MIN_LENGTH || text.length > MAX_LENGTH)
      problems.push(`must be ${MIN_LENGTH} to ${MAX_LENGTH} characters long, not ${text.length}`);
    if (!VISIBLE_ASCII.test(text)) problems.push("must be visible ASCII only (! to ~, no spaces)");
    return problems.length > 0 ? { problems } : { value: text };
  },
  format: (token) => token,
};

/** The header the agent sends. */
export function bearerHeader(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}

/**
 * Whether `authorization` (the request's header) carries `token`. Both are hashed first so that
 * `timingSafeEqual` compares equal lengths: the time it takes says nothing of the token, not even its length.
 */
export function carriesToken(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer +(\S+) *$/i.exec(authorization ?? "")?.[1];
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(token));
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();
