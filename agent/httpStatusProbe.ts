// The HTTP half of the prober: one GET, and only its status code matters. Hand-written over node:net on
// purpose: a health check at 200 checks/s through node:http cost this machine ~13% of a core in the HTTP
// client alone (the agent's target is 5% at that rate), while a kept-alive socket and a status-line parse
// cost ~4%. It speaks the small part of HTTP/1.1 (RFC 9112) a probe needs: the status line, and the
// headers that say where the response ends (Content-Length; anything else ends the connection).
import net from "node:net";

export interface StatusResult {
  /** The status code, or undefined when there was none (then `error` says why). */
  readonly status?: number;
  readonly error?: string;
}

const MAX_HEADER_BYTES = 16 * 1024;
/** A body longer than this is not read to the end: the connection is closed instead. */
const MAX_SKIPPED_BODY = 64 * 1024;
/** Idle kept-alive connections are closed after this long (servers close theirs after ~5 s anyway). */
const IDLE_MS = 30_000;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: |\r\n)/;

/** Kept-alive connections, one idle socket per endpoint at most. */
const idle = new Map<string, net.Socket>();

/** GET `path` from address:port; resolves (never rejects) with the status or the failure, within `timeoutMs`. */
export async function httpStatus(
  address: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<StatusResult> {
  const key = `${address}:${port}`;
  const reused = idle.get(key);
  if (reused) {
    idle.delete(key);
    const first = await exchange(reused, key, address, port, path, timeoutMs);
    // The server may have closed the idle connection just as we wrote: try once on a fresh one.
    if (!first.stale) return first.result;
  }
  const socket = net.connect({ host: address, port, noDelay: true });
  return (await exchange(socket, key, address, port, path, timeoutMs)).result;
}

const watched = new WeakSet<net.Socket>();

/** Once per socket: while idle, a timeout, an error or a close drops it from the pool. */
function watchIdle(socket: net.Socket, key: string): void {
  if (watched.has(socket)) return;
  watched.add(socket);
  const drop = () => {
    if (idle.get(key) === socket) idle.delete(key);
    socket.destroy();
  };
  socket.on("timeout", () => {
    if (idle.get(key) === socket) drop();
  });
  socket.on("error", drop);
  socket.on("close", drop);
}

function exchange(
  socket: net.Socket,
  key: string,
  address: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<{ result: StatusResult; stale: boolean }> {
  return new Promise((resolve) => {
    let header: Buffer = Buffer.alloc(0);
    let gotBytes = false;
    let status: number | undefined;
    let bodyLeft = 0;
    let keep = false;
    let done = false;
    const finish = (result: StatusResult, reuse: boolean, stale = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      if (reuse && !idle.has(key)) {
        watchIdle(socket, key);
        socket.setTimeout(IDLE_MS);
        socket.unref();
        idle.set(key, socket);
      } else socket.destroy();
      resolve({ result, stale });
    };
    const timer = setTimeout(() => finish({ error: `timed out after ${timeoutMs} ms` }, false), timeoutMs);
    const onError = (err: NodeJS.ErrnoException) =>
      finish({ error: err.code ?? err.message }, false, !gotBytes);
    const onClose = () => {
      if (status !== undefined) finish({ status }, false);
      else finish({ error: "connection closed before a response" }, false, !gotBytes);
    };
    const onData = (chunk: Buffer) => {
      gotBytes = true;
      if (status !== undefined) {
        bodyLeft -= chunk.length;
        if (bodyLeft <= 0) finish({ status }, keep && bodyLeft === 0);
        return;
      }
      header = header.length === 0 ? chunk : Buffer.concat([header, chunk]);
      const end = header.indexOf("\r\n\r\n");
      if (end < 0) {
        if (header.length > MAX_HEADER_BYTES) finish({ error: "response header too large" }, false);
        return;
      }
      const head = header.toString("latin1", 0, end + 2);
      const m = STATUS_LINE.exec(head);
      if (!m) {
        finish({ error: "not an HTTP/1.x response" }, false);
        return;
      }
      status = Number(m[1]);
      const length = /\r\ncontent-length:[ \t]*(\d{1,12})[ \t]*\r\n/i.exec(head);
      const closing =
        /\r\nconnection:[^\r]*close/i.test(head) ||
        /\r\ntransfer-encoding:/i.test(head) ||
        head.startsWith("HTTP/1.0");
      // 204 and 304 have no body (RFC 9112 §6.3); otherwise only a Content-Length says where it ends.
      const bodyLength = status === 204 || status === 304 ? 0 : length ? Number(length[1]) : undefined;
      // Only a response whose end we know leaves the connection reusable.
      keep = bodyLength !== undefined && !closing && bodyLength <= MAX_SKIPPED_BODY;
      bodyLeft = keep ? (bodyLength as number) - (header.length - end - 4) : 0;
      if (!keep || bodyLeft <= 0) finish({ status }, keep && bodyLeft === 0);
    };
    socket.ref();
    socket.setTimeout(0);
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    const host = address.includes(":") ? `[${address}]` : address;
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: ecssd-agent\r\nAccept: */*\r\n\r\n`,
    );
  });
}
