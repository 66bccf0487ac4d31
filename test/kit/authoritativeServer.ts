// A well-behaved authoritative DNS server for tests and the benchmark: UDP and TCP on one
// loopback port, answers from an in-memory zone, NXDOMAIN/NODATA with an SOA, truncation past
// the client's UDP size. A per-query hook lets a test make it misbehave on purpose. Queries are
// read and answers written by the resolver's codec (its server half); the hook sees the query as
// dns-packet reads it, since tests forge their hostile answers with dns-packet.
import * as dgram from "node:dgram";
import * as net from "node:net";
import * as dnsPacket from "dns-packet";
import {
  FLAG_AA,
  FLAG_QR,
  FLAG_RD,
  FLAG_TC,
  frameTcp,
  PLAIN_UDP_SIZE,
  RCODE_NXDOMAIN,
  TcpFrameReader,
  typeName,
} from "../../resolver/src/dnsProtocol";
import {
  decodeQuery,
  encodeMessage,
  type MessageToEncode,
  type OptToEncode,
  type RecordToEncode,
  type WireQuery,
} from "../../resolver/src/dnsWireServer";

export type ZoneAnswer = RecordToEncode;

/** What the hook sees of one UDP query, and the ways it can reply. */
export interface QueryContext {
  /** The query as dns-packet reads it. */
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
    let query: WireQuery;
    try {
      query = decodeQuery(msg);
    } catch {
      return;
    }
    this.countQuery(query);
    let decoded: dnsPacket.DecodedPacket | undefined;
    const ctx: QueryContext = {
      get query() {
        decoded ??= dnsPacket.decode(msg);
        return decoded;
      },
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
    const frames = new TcpFrameReader();
    socket.on("data", (chunk: Buffer) => {
      frames.push(chunk);
      for (let msg = frames.next(); msg !== undefined; msg = frames.next()) {
        let query: WireQuery;
        try {
          query = decodeQuery(msg);
        } catch {
          socket.destroy();
          return;
        }
        this.countQuery(query);
        socket.write(frameTcp(this.respond(query, false)));
      }
    });
  }

  private countQuery(query: WireQuery): void {
    const key = `${typeName(query.type)} ${query.name}`;
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
  respond(query: WireQuery, udp: boolean): Buffer {
    const name = query.name;
    const type = typeName(query.type);
    const soaTtl = this.options.soaTtl ?? 30;
    const replyOpt: OptToEncode = { type: "OPT", udpPayloadSize: 1232 };
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
    const answers = this.lookup(name, type) ?? [];
    const additionals: ZoneAnswer[] = [];
    if (type === "SRV" && this.options.additional !== false) {
      for (const rr of answers) {
        if (rr.type !== "SRV") continue;
        for (const a of this.lookup(norm(rr.data.target), "A") ?? []) additionals.push(a);
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
        rcode = RCODE_NXDOMAIN;
      }
    }
    const message: MessageToEncode = {
      id: query.id,
      flags: FLAG_QR | FLAG_AA | (query.flags & FLAG_RD) | rcode,
      questions: [query],
      answers,
      authorities,
      additionals: query.edns ? [...additionals, replyOpt] : additionals,
    };
    const buf = encodeMessage(message);
    const limit = query.edns ? Math.max(PLAIN_UDP_SIZE, query.udpPayloadSize) : PLAIN_UDP_SIZE;
    if (udp && buf.length > limit) {
      return encodeMessage({
        ...message,
        flags: message.flags | FLAG_TC,
        answers: [],
        authorities: [],
        additionals: query.edns ? [replyOpt] : [],
      });
    }
    return buf;
  }
}
