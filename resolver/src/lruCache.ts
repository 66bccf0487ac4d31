// A bounded least-recently-used map whose entries are their own list nodes, so a cache hit only
// relinks two pointers and allocates nothing.

/** What an entry needs to live in an {@link LruCache}. */
export interface LruNode {
  readonly key: string;
  prev: LruNode | undefined;
  next: LruNode | undefined;
}

/** A map bounded to `maxEntries`; inserting past the bound drops the least recently used entry. */
export class LruCache<T extends LruNode> {
  private readonly map = new Map<string, T>();
  private head: T | undefined;
  private tail: T | undefined;

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new RangeError(`maxEntries must be an integer >= 0, got ${maxEntries}`);
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** The entry, marked as most recently used. */
  get(key: string): T | undefined {
    const node = this.map.get(key);
    if (node !== undefined && node !== this.head) {
      this.unlink(node);
      this.pushFront(node);
    }
    return node;
  }

  /** The entry, without changing its recency. */
  peek(key: string): T | undefined {
    return this.map.get(key);
  }

  /** Stores `node` under its key, replacing any entry there, then evicts down to the bound. */
  set(node: T): void {
    if (this.maxEntries === 0) return;
    const old = this.map.get(node.key);
    if (old !== undefined) this.unlink(old);
    this.map.set(node.key, node);
    this.pushFront(node);
    while (this.map.size > this.maxEntries && this.tail !== undefined) this.delete(this.tail);
  }

  /** Removes `node` if it is the entry stored under its key. */
  delete(node: T): void {
    if (this.map.get(node.key) !== node) return;
    this.map.delete(node.key);
    this.unlink(node);
  }

  clear(): void {
    this.map.clear();
    this.head = undefined;
    this.tail = undefined;
  }

  private unlink(node: T): void {
    const { prev, next } = node;
    if (prev !== undefined) prev.next = next;
    else this.head = next as T | undefined;
    if (next !== undefined) next.prev = prev;
    else this.tail = prev as T | undefined;
    node.prev = undefined;
    node.next = undefined;
  }

  private pushFront(node: T): void {
    node.prev = undefined;
    node.next = this.head;
    if (this.head !== undefined) this.head.prev = node;
    this.head = node;
    if (this.tail === undefined) this.tail = node;
  }
}
