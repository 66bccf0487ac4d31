// A well-behaved authoritative DNS server for tests and the benchmark: UDP and TCP on one
// loopback port, answers from an in-memory zone, NXDOMAIN/NODATA with an SOA, truncation past
// the client's UDP size. A per-query hook lets a test make it misbehave on purpose.
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";

export type ZoneAnswer = dnsPacket.Answer;

/** What the hook sees of one UDP query, and the ways it can reply. */
export interface QueryContext {
  readonly query: dnsPacket.DecodedPacket;
  readonly rinfo: dgram.RemoteInfo;
  /** The correct answer, as the well-behaved server would send it. */
  answer(): Buffer;
  /** Sends bytes to the client from the server's port. */
  send(buf: Buffer): void;
  /** Sends bytes to the client from another port of the same address (an off-path spoofer). */
  sendFromOtherPort(buf: Buffer): void;
}

/** Returns true when it has handled the query itself (or chosen silence). */
export type QueryHook = (ctx: QueryContext) => boolean;

export interface AuthoritativeServerOptions {
  /** Zone apex, e.g. "servicediscovery.internal". */
  readonly zone: string;
  /** SOA minimum and TTL (RFC 2308 negative caching). Default 30. */
  readonly soaTtl?: number;
  /** Put the A records of SRV targets in the additional section. Default true. */
  readonly additional?: boolean;
  /** Records made up on demand for names not in the zone (the benchmark's many distinct names). */
  readonly synthesize?: (name: string, type: string) => ZoneAnswer[] | undefined;
}

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, "");
}

export class AuthoritativeServer {
  readonly address = "127.0.0.1";
  port = 0;
  /** Number of questions received, by "TYPE name" (UDP and TCP). */
  readonly queries = new Map<string, number>();
  /** Number of TCP connections accepted. */
  tcpConnections = 0;
  hook: QueryHook | undefined;
  private readonly records = new Map<string, ZoneAnswer[]>();
  private udp = dgram.createSocket("udp4");
  private readonly spoofer = dgram.createSocket("udp4");
  private readonly tcp = net.createServer();
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly options: AuthoritativeServerOptions) {}

  static async start(options: AuthoritativeServerOptions): Promise<AuthoritativeServer> {
    const server = new AuthoritativeServer(options);
    await server.listen();
    return server;
  }

  /** `127.0.0.1:port`, as the resolver's `servers` option takes it. */
  get endpoint(): string {
    return `${this.address}:${this.port}`;
  }

  /** Replaces the records of one name and type. */
  set(name: string, type: string, answers: ZoneAnswer[]): void {
    this.records.set(`${type} ${norm(name)}`, answers);
  }

  remove(name: string, type: string): void {
    this.records.delete(`${type} ${norm(name)}`);
  }

  /** Adds SRV records and the A records of their targets. */
  addService(
    name: string,
    instances: { target: string; address: string; port: number; priority?: number; weight?: number }[],
    ttl = 10,
    addressTtl = 60,
  ): void {
    this.set(
      name,
      "SRV",
      instances.map((i) => ({
        name,
        type: "SRV",
        ttl,
        data: { target: i.target, port: i.port, priority: i.priority ?? 1, weight: i.weight ?? 1 },
      })),
    );
    for (const i of instances) {
      this.set(i.target, "A", [{ name: i.target, type: "A", ttl: addressTtl, data: i.address }]);
    }
  }

  count(type: string, name: string): number {
    return this.queries.get(`${type} ${norm(name)}`) ?? 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => this.udp.close(() => r())),
      new Promise<void>((r) => this.spoofer.close(() => r())),
      new Promise<void>((r) => this.tcp.close(() => r())),
    ]);
  }

  private async listen(): Promise<void> {
    // UDP and TCP share one port number; if TCP cannot take the UDP port, try another.
    for (let tries = 0; ; tries++) {
      await new Promise<void>((r) => this.udp.bind(0, this.address, () => r()));
      this.port = this.udp.address().port;
      const ok = await new Promise<boolean>((resolve) => {
        const onError = (): void => resolve(false);
        this.tcp.once("error", onError);
        this.tcp.listen(this.port, this.address, () => {
          this.tcp.off("error", onError);
          resolve(true);
        });
      });
      if (ok) break;
      if (tries > 20) throw new Error("could not bind UDP and TCP on one port");
      await new Promise<void>((r) => this.udp.close(() => r()));
      this.udp = dgram.createSocket("udp4");
    }
    await new Promise<void>((r) => this.spoofer.bind(0, this.address, () => r()));
    this.udp.on("message", (msg, rinfo) => this.onUdp(msg, rinfo));
    this.tcp.on("connection", (socket) => this.onTcp(socket));
  }

  private onUdp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    this.countQuery(query);
    const ctx: QueryContext = {
      query,
      rinfo,
      answer: () => this.respond(query, true),
      send: (buf) => this.udp.send(buf, rinfo.port, rinfo.address),
      sendFromOtherPort: (buf) => this.spoofer.send(buf, rinfo.port, rinfo.address),
    };
    if (this.hook?.(ctx)) return;
    ctx.send(ctx.answer());
  }

  private onTcp(socket: net.Socket): void {
    this.tcpConnections++;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + msg.length);
        let query: dnsPacket.DecodedPacket;
        try {
          query = dnsPacket.decode(msg);
        } catch {
          socket.destroy();
          return;
        }
        this.countQuery(query);
        const reply = this.respond(query, false);
        const framed = Buffer.alloc(reply.length + 2);
        framed.writeUInt16BE(reply.length, 0);
        reply.copy(framed, 2);
        socket.write(framed);
      }
    });
  }

  private countQuery(query: dnsPacket.DecodedPacket): void {
    const q = query.questions?.[0];
    if (!q) return;
    const key = `${q.type} ${norm(q.name)}`;
    this.queries.set(key, (this.queries.get(key) ?? 0) + 1);
  }

  private lookup(name: string, type: string): ZoneAnswer[] | undefined {
    return this.records.get(`${type} ${name}`) ?? this.options.synthesize?.(name, type);
  }

  private nameExists(name: string): boolean {
    for (const key of this.records.keys()) if (key.slice(key.indexOf(" ") + 1) === name) return true;
    return false;
  }

  /** The correct answer to `query`; over UDP, truncated (TC, no records) when it does not fit. */
  respond(query: dnsPacket.DecodedPacket, udp: boolean): Buffer {
    const q = query.questions![0]!;
    const name = norm(q.name);
    const opt = query.additionals?.find((rr) => rr.type === "OPT") as dnsPacket.OptAnswer | undefined;
    const soaTtl = this.options.soaTtl ?? 30;
    const replyOpt: dnsPacket.OptAnswer = {
      name: ".",
      type: "OPT",
      udpPayloadSize: 1232,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    };
    const soa: ZoneAnswer = {
      name: this.options.zone,
      type: "SOA",
      ttl: soaTtl,
      data: {
        mname: `ns.${this.options.zone}`,
        rname: `hostmaster.${this.options.zone}`,
        serial: 1,
        refresh: 7200,
        retry: 900,
        expire: 1209600,
        minimum: soaTtl,
      },
    };
    const answers = this.lookup(name, q.type) ?? [];
    const additionals: ZoneAnswer[] = [];
    if (q.type === "SRV" && this.options.additional !== false) {
      for (const rr of answers) {
        const target = norm((rr as dnsPacket.SrvAnswer).data.target);
        for (const a of this.lookup(target, "A") ?? []) additionals.push(a);
      }
    }
    let rcode = 0;
    const authorities: ZoneAnswer[] = [];
    if (answers.length === 0) {
      authorities.push(soa);
      if (
        !this.nameExists(name) &&
        !this.options.synthesize?.(name, "SRV") &&
        !this.options.synthesize?.(name, "A")
      ) {
        rcode = 3; // NXDOMAIN
      }
    }
    const packet: dnsPacket.Packet = {
      id: query.id,
      type: "response",
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.flags! & dnsPacket.RECURSION_DESIRED) | rcode,
      questions: [q],
      answers,
      authorities,
      additionals: opt ? [...additionals, replyOpt] : additionals,
    };
    const buf = dnsPacket.encode(packet);
    const limit = opt ? Math.max(512, opt.udpPayloadSize) : 512;
    if (udp && buf.length > limit) {
      return dnsPacket.encode({
        ...packet,
        flags: packet.flags! | dnsPacket.TRUNCATED_RESPONSE,
        answers: [],
        authorities: [],
        additionals: opt ? [replyOpt] : [],
      });
    }
    return buf;
  }
}
