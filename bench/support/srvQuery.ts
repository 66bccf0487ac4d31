// What the benchmarks measure DNS with: one SRV query over UDP to the local zone.
import dgram from "node:dgram";
import dnsPacket from "dns-packet";

/** One SRV query over UDP to the local zone on 127.0.0.1: the ports answered (empty after 500 ms). */
export function querySrv(port: number, name: string): Promise<number[]> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket("udp4");
    const id = Math.floor(Math.random() * 65535);
    const timer = setTimeout(() => {
      sock.close();
      resolve([]);
    }, 500);
    sock.on("message", (msg) => {
      clearTimeout(timer);
      sock.close();
      const p = dnsPacket.decode(msg);
      resolve(
        (p.answers ?? []).filter((a) => a.type === "SRV").map((a) => (a.data as { port: number }).port),
      );
    });
    sock.send(dnsPacket.encode({ id, type: "query", questions: [{ type: "SRV", name }] }), port, "127.0.0.1");
  });
}
