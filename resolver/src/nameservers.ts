// Where queries go: nameservers given as `ip[:port]` strings, or read from /etc/resolv.conf.
import { readFileSync } from "node:fs";
import { isIP } from "node:net";

/** One DNS server to ask. */
export interface Nameserver {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** `ip:port`, or `[ip]:port` for IPv6: how errors name it. */
  readonly label: string;
}

function makeNameserver(text: string, port: number): Nameserver {
  const family = isIP(text);
  if (family !== 4 && family !== 6) throw new Error(`invalid nameserver address "${text}"`);
  // Answers are matched on the source address as the kernel reports it: the canonical form.
  const address = family === 6 ? new URL(`http://[${text}]/`).hostname.slice(1, -1) : text;
  return { address, port, family, label: family === 6 ? `[${address}]:${port}` : `${address}:${port}` };
}

/**
 * Parses `ip`, `ip:port`, `[ipv6]` or `[ipv6]:port` (a bare IPv6 address takes port 53). Only IP
 * addresses: a nameserver given by name would need a resolver to find it.
 */
export function parseNameserver(text: string): Nameserver {
  const s = text.trim();
  let host = s;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (isIP(s) === 6) {
    host = s;
  } else {
    const colon = s.lastIndexOf(":");
    if (colon >= 0) {
      host = s.slice(0, colon);
      portText = s.slice(colon + 1);
    }
  }
  if (isIP(host) === 0 || host.includes("%")) {
    throw new Error(`invalid nameserver "${text}": expected ip[:port] or [ipv6]:port (no scope id)`);
  }
  let port = 53;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new Error(`invalid nameserver "${text}": port must be 1-65535`);
    }
    port = Number(portText);
  }
  return makeNameserver(host, port);
}

/** The `nameserver` lines of a resolv.conf text, in order (scoped IPv6 addresses are skipped). */
export function parseResolvConf(text: string): Nameserver[] {
  const servers: Nameserver[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/[#;].*$/, "").trim();
    const m = /^nameserver\s+(\S+)$/.exec(line);
    if (!m) continue;
    const address = m[1]!;
    // A scoped IPv6 address (fe80::1%eth0) names an interface; answers would not match it by text.
    if (isIP(address) === 0 || address.includes("%")) continue;
    servers.push(makeNameserver(address, 53));
  }
  return servers;
}

/** Reads the system's nameservers; an empty or missing file is a clear error, not a silent default. */
export function systemNameservers(path = "/etc/resolv.conf"): Nameserver[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read nameservers from ${path}; pass them as options.servers`, { cause: err });
  }
  const servers = parseResolvConf(text);
  if (servers.length === 0) throw new Error(`no nameserver line in ${path}; pass them as options.servers`);
  return servers;
}
