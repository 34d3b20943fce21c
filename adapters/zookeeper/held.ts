// Whether listOwned may answer from what this process registered, without reading ZooKeeper. The session holds this
// process's ephemeral nodes; each node it creates or adopts carries a watch of its own (free while nothing happens),
// so a node deleted or changed by anyone else is heard of. A full scan vouches for the records while the session, the
// owner and every watched node stay as they were, for at most FULL_SCAN_EVERY_MS.
import type { Clock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/log.js";

/**
 * The backstop: a full scan at least this often even when nothing was heard of. It finds what no watch on our own
 * nodes can: a node of this owner that another writer created (a second registrator given the same hostname).
 */
export const FULL_SCAN_EVERY_MS = 60 * 60_000;

/** Marks where a full scan began: it vouches only if nothing cast doubt since. */
export interface ScanMark {
  epoch: number;
  at: number;
}

export class HeldNodes {
  private vouched: { owner: string; session: string; at: number } | undefined;
  private epoch = 0;
  /** Path -> the token of the one watch of ours that counts on it (an older watch's firing is ignored). */
  private readonly watched = new Map<string, symbol>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** True when listOwned(owner) under `session` may answer from the records alone. */
  vouches(owner: string, session: string): boolean {
    const v = this.vouched;
    return v !== undefined && session !== "" && v.owner === owner && v.session === session && this.clock.now() - v.at < FULL_SCAN_EVERY_MS;
  }

  beginScan(): ScanMark {
    return { epoch: this.epoch, at: this.clock.now() };
  }

  /** A full scan that began at `mark` found exactly the records of `owner` under `session` (`clean`). */
  scanned(mark: ScanMark, owner: string, session: string, clean: boolean): void {
    this.vouched = clean && mark.epoch === this.epoch && session !== "" ? { owner, session, at: mark.at } : undefined;
  }

  /** Something may differ from the records: the next listOwned scans. */
  doubt(reason: string, path?: string): void {
    this.epoch++;
    if (this.vouched) this.log.debug({ reason, path }, "zookeeper: next resync reads the tree");
    this.vouched = undefined;
  }

  /** A new session: every watch was the old client's. */
  renewed(): void {
    this.watched.clear();
    this.doubt("new session");
  }

  /** A watch about to be set on `path`; its firing (`fired`) and the answer that sets it (`confirm`) name this token. */
  claim(path: string): symbol {
    const token = Symbol(path);
    this.watched.set(path, token);
    return token;
  }

  isWatched(path: string): boolean {
    return this.watched.has(path);
  }

  /** This process is about to change or delete `path` itself: the watch on it no longer counts. */
  release(path: string): void {
    this.watched.delete(path);
  }

  /** The watch of `token` fired: someone else changed or deleted the node (our own writes release it first). */
  fired(path: string, token: symbol): void {
    if (this.watched.get(path) !== token) return;
    this.watched.delete(path);
    this.doubt("own node changed by another client", path);
  }

  /** The answer that set the watch of `token`: `held` when the node is ours, as written. */
  confirm(path: string, token: symbol, held: boolean): void {
    if (this.watched.get(path) !== token || held) return;
    this.watched.delete(path);
    this.doubt("own node not as written", path);
  }
}
