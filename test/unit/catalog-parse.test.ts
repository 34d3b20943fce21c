// Pure parsers of the catalog: filters (HTTP query and CLI), SSE wire format, listen addresses, token check.
import { describe, expect, it } from "vitest";
import { EventTooLargeError, SseParser } from "../../adapters/portolan/sse.js";
import { isLoopback, TokenCheck } from "../../src/catalog/auth.js";
import { InvalidParameterError } from "../../src/catalog/errors.js";
import { parseFilter } from "../../src/catalog/filter.js";
import { CatalogMetrics, familiesText } from "../../src/catalog/metrics.js";
import type { Instance } from "../../src/core/model.js";
import { parseListen } from "../../src/catalog/service.js";
import { UsageError } from "../../src/core/errors.js";

describe("parseFilter", () => {
  const cases: { name: string; query: string; want?: object; bad?: string }[] = [
    { name: "empty", query: "", want: {} },
    { name: "all four", query: "service=web&tag=a&host=h1&health=passing", want: { service: "web", tag: "a", host: "h1", health: "passing" } },
    { name: "bad health", query: "health=ok", bad: "health" },
    { name: "bad service name", query: "service=a_b", bad: "service" },
    { name: "unknown parameter", query: "colour=red", bad: "colour" },
    { name: "repeated", query: "tag=a&tag=b", bad: "tag" },
    { name: "empty value", query: "host=", bad: "host" },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, () => {
      const run = () => parseFilter(new URLSearchParams(c.query).entries());
      if (c.bad === undefined) expect(run()).toEqual(c.want);
      else {
        expect(run).toThrow(InvalidParameterError);
        try {
          run();
        } catch (err) {
          expect((err as InvalidParameterError).parameter).toBe(c.bad);
        }
      }
    });
  }
});

describe("SseParser", () => {
  const cases: { name: string; chunks: string[]; want: { id?: string; event: string; data: string }[] }[] = [
    { name: "one event", chunks: ["id: a-1\nevent: change\ndata: {}\n\n"], want: [{ id: "a-1", event: "change", data: "{}" }] },
    { name: "split anywhere, CRLF", chunks: ["id: a-1\r", "\nda", "ta: x\r\n", "data: y\r\n\r\n"], want: [{ id: "a-1", event: "message", data: "x\ny" }] },
    { name: "comments and retry ignored, id persists", chunks: [": hi\nretry: 10\n\nid: 7\ndata: 1\n\ndata: 2\n\n"], want: [{ id: "7", event: "message", data: "1" }, { id: "7", event: "message", data: "2" }] },
    { name: "incomplete event waits", chunks: ["data: 1\n"], want: [] },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, () => {
      const p = new SseParser();
      expect(c.chunks.flatMap((ch) => p.push(ch))).toEqual(c.want.map((w) => ({ id: w.id, event: w.event, data: w.data })));
    });
  }
});

describe("listen and token", () => {
  const listens: [string, { host: string; port: number } | undefined][] = [
    ["127.0.0.1:8700", { host: "127.0.0.1", port: 8700 }],
    [":9000", { host: "127.0.0.1", port: 9000 }],
    ["[::1]:80", { host: "::1", port: 80 }],
    ["0.0.0.0:8700", { host: "0.0.0.0", port: 8700 }],
    ["8700", undefined],
    ["h:99999", undefined],
  ];
  for (const [i, [text, want]] of listens.entries()) {
    it(`${i}_listen ${text}`, () => {
      if (want) expect(parseListen(text)).toEqual(want);
      else expect(() => parseListen(text)).toThrow(UsageError);
    });
  }

  it("6_loopback", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "::", "10.0.0.1", "128.0.0.1"].some(isLoopback)).toBe(false);
  });

  it("7_token check", () => {
    const t = new TokenCheck("s3cret");
    expect([t.matches("s3cret"), t.matches("s3cre"), t.matches(""), t.matches(undefined)]).toEqual([true, false, false, false]);
    expect(new TokenCheck("").matches(undefined)).toBe(false);
  });

  it("8_metric families text", () => {
    expect(
      familiesText([
        { name: "x_total", help: "X", type: "counter", samples: [{ labels: { k: 'a"b\\' }, value: 3 }, { value: Number.NaN }] },
        { name: "y_seconds", help: "Y", type: "histogram", buckets: [{ le: 0.5, count: 1 }, { le: Infinity, count: 2 }], sum: 1.5, count: 2 },
      ]),
    ).toBe('# HELP x_total X\n# TYPE x_total counter\nx_total{k="a\\"b\\\\"} 3\n' + '# HELP y_seconds Y\n# TYPE y_seconds histogram\ny_seconds_bucket{le="0.5"} 1\ny_seconds_bucket{le="+Inf"} 2\ny_seconds_sum 1.5\ny_seconds_count 2\n');
  });
});

describe("watch lag", () => {
  const lagCount = async (m: CatalogMetrics) => Number(/portolan_catalog_watch_lag_seconds_count\{backend="memory"\} (\d+)/.exec(await m.text())?.[1]);
  const registered = (id: string) => ({ type: "registered" as const, reason: "new" as const, instance: { id } as Instance });

  it("0_write reported before the watch saw it, and after", async () => {
    let now = 0;
    const m = new CatalogMetrics("memory", () => now);
    m.onRegistratorEvent(registered("a"));
    now = 40;
    m.seen(["a"]);
    m.seen(["b"]);
    m.onRegistratorEvent(registered("b"));
    now = 5000;
    m.seen(["c"]);
    now = 7000;
    m.onRegistratorEvent(registered("c")); // too long after: a later change, still pending
    expect(await lagCount(m)).toBe(2);
    expect(await m.text()).toMatch(/portolan_catalog_watch_lag_seconds_sum\{backend="memory"\} 0\.04\n/);
  });
});

describe("SseParser limits (a server that is not portolan)", () => {
  const cases: { name: string; chunks: string[]; tooLarge: boolean }[] = [
    { name: "endless line in chunks", chunks: Array<string>(10).fill("aaaa"), tooLarge: true },
    { name: "long line in one chunk", chunks: [`data: ${"a".repeat(40)}\n\n`], tooLarge: true },
    { name: "endless data lines", chunks: Array<string>(10).fill("data: aaa\n"), tooLarge: true },
    { name: "many small events", chunks: Array<string>(100).fill("data: aaa\n\n"), tooLarge: false },
    { name: "CR at a chunk's end, LF in the next", chunks: ["data: a\r", "\ndata: b\r", "\n\r", "\n"], tooLarge: false },
  ];
  for (const [i, c] of cases.entries()) {
    it(`${i}_${c.name}`, () => {
      const p = new SseParser(32);
      const run = () => c.chunks.flatMap((ch) => p.push(ch));
      if (c.tooLarge) expect(run).toThrow(EventTooLargeError);
      else expect(run().length).toBeGreaterThan(0);
    });
  }

  it(`${cases.length}_CRLF split across chunks gives one line end, and reset() drops a half-read event`, () => {
    const p = new SseParser();
    expect([...p.push("data: a\r"), ...p.push("\n\r"), ...p.push("\n")]).toEqual([{ id: undefined, event: "message", data: "a" }]);
    p.push("data: half");
    p.reset();
    expect(p.push("\ndata: b\n\n")).toEqual([{ id: undefined, event: "message", data: "b" }]);
  });
});
