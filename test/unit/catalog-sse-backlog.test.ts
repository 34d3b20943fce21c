// The event stream's bound on all clients' unsent output together: over it, the clients stuck longest (longest
// since their output last drained) are disconnected until it fits; clients that read are never touched.
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { EventStream, STUCK_MS } from "../../src/catalog/sse.js";
import { CatalogState } from "../../src/catalog/state.js";

/** A response whose socket never sends (`reads: false`) or sends everything at once. */
class FakeResponse extends EventEmitter {
  writableLength = 0;
  destroyed = false;
  constructor(private readonly reads: boolean) {
    super();
  }
  writeHead(): this {
    return this;
  }
  write(text: string): boolean {
    if (!this.reads) this.writableLength += text.length;
    return this.reads;
  }
  drain(): void {
    this.writableLength = 0;
    this.emit("drain");
  }
  destroy(): void {
    this.destroyed = true;
    this.emit("close");
  }
  end(): void {}
}

const req = { socket: { setNoDelay() {}, setKeepAlive() {} }, headers: {} } as unknown as IncomingMessage;

function setup(budget: number) {
  const state = new CatalogState();
  state.apply({ version: 1, instances: [] });
  let t = 0;
  const stream = new EventStream(state, 3_600_000, budget, () => t);
  const connect = (reads: boolean) => {
    const res = new FakeResponse(reads);
    stream.handle(req, res as unknown as ServerResponse, undefined);
    t += 1;
    return res;
  };
  return { state, stream, connect, later: () => (t += STUCK_MS) };
}

describe("EventStream total backlog", () => {
  const cases: { name: string; run: () => { dropped: boolean[]; size: number; expected: boolean[] } }[] = [
    {
      name: "under_budget_nobody_dropped",
      run: () => {
        const { stream, connect } = setup(1_000_000);
        const clients = [connect(false), connect(false), connect(true)];
        return { dropped: clients.map((c) => c.destroyed), size: stream.size, expected: [false, false, false] };
      },
    },
    {
      name: "over_budget_oldest_stuck_dropped_first",
      run: () => {
        const { stream, connect, later } = setup(1);
        const reader = connect(true);
        const a = connect(false);
        later();
        const b = connect(false);
        const c = connect(false);
        // Over the budget, but b and c just connected (still reading their snapshot): only a, stuck long, goes.
        const first = [reader, a, b, c].map((x) => x.destroyed);
        expect(first).toEqual([false, true, false, false]);
        later();
        connect(true);
        // Now b and c are stuck too: they go, the readers stay.
        return { dropped: [reader, a, b, c].map((x) => x.destroyed), size: stream.size - 1, expected: [false, true, true, true] };
      },
    },
    {
      name: "a_client_that_drained_is_kept_over_one_that_did_not",
      run: () => {
        const probe = setup(Infinity).connect(false).writableLength; // one stuck client's snapshot
        const { stream, connect, later } = setup(2.5 * probe);
        const a = connect(false);
        const b = connect(false);
        a.drain(); // a read its snapshot
        later();
        const c = connect(false);
        const d = connect(false); // three snapshots pending: over the budget; b is the one stuck for long
        return { dropped: [a, b, c, d].map((x) => x.destroyed), size: stream.size, expected: [false, true, false, false] };
      },
    },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, () => {
      const r = c.run();
      expect(r.dropped).toEqual(r.expected);
      expect(r.size).toBe(r.expected.filter((d) => !d).length);
    });
  }
});
