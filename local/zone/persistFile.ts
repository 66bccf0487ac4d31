// The local zone's optional data file: the whole store as JSON, replaced atomically (write a
// temporary file, fsync, rename) so a crash leaves either the old or the new state, never half.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { StoreSnapshot } from "./zoneStore";

export class DataFile {
  private writing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    readonly file: string,
    private readonly snapshot: () => StoreSnapshot,
  ) {}

  /** The saved state, or undefined when there is no file yet. Throws on an unreadable file. */
  load(): StoreSnapshot | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new Error(`cannot read the data file ${this.file}: ${(err as Error).message}`);
    }
    try {
      return JSON.parse(text) as StoreSnapshot;
    } catch (err) {
      throw new Error(`the data file ${this.file} is not valid JSON: ${(err as Error).message}`);
    }
  }

  /** Makes sure the directory exists, so a bad path fails at start rather than at the first change. */
  prepare(): void {
    mkdirSync(path.dirname(path.resolve(this.file)), { recursive: true });
  }

  /**
   * Resolves once a state at least as new as the current one is on disk. Concurrent callers
   * share writes: at most one write runs and one more is queued behind it.
   */
  save(): Promise<void> {
    if (!this.writing) {
      this.writing = this.write().finally(() => {
        this.writing = null;
      });
      return this.writing;
    }
    if (!this.queued) {
      this.queued = this.writing
        .catch(() => undefined)
        .then(() => {
          this.queued = null;
          return this.save();
        });
    }
    return this.queued;
  }

  private async write(): Promise<void> {
    const target = path.resolve(this.file);
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    const data = JSON.stringify(this.snapshot());
    await mkdir(path.dirname(target), { recursive: true });
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(data, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }
}
