// src/core/small-pino.ts writes the lines pino writes, for every way portolan's code logs (the registrator's bundle
// uses it instead of pino): the same calls go to both, and the lines must be equal byte for byte.
import { pino as realPino } from "pino";
import { describe, expect, it } from "vitest";
import { pino as smallPino } from "../../src/core/small-pino.js";

type Factory = typeof realPino;

function lines(factory: Factory, opts: Parameters<Factory>[0], drive: (l: ReturnType<Factory>) => void): string[] {
  const out: string[] = [];
  const l = factory(opts, { write: (s: string) => void out.push(s) });
  drive(l);
  return out;
}

const cycle: Record<string, unknown> = { x: 1 };
cycle.self = cycle;

const calls = (l: ReturnType<Factory>) => {
  l.info("plain");
  l.info({ a: 1, s: "t\n\"q\"", n: null, arr: [1, "x", { y: 2 }], nested: { z: [true] } }, "with object");
  l.warn({ u: undefined, f: () => 1, e: new Error("boom") }, "dropped keys");
  l.error({ msg: "inner", k: 1 }, "outer");
  l.debug("hidden at info");
  l.info({ only: "object" });
  l.info(5 as unknown as string);
  l.info({ cycle }, "cycle");
  l.info({ big: 10n }, "bigint");
  l.info({ d: new Date(0) }, "date");
  const c = l.child({ component: "registrator" }).child({ host: "h1", list: [1] });
  c.warn({ id: "a:b:80" }, "child");
  c.info("\u2028 unicode \u00e9 \u0000 control");
  l.level = "debug";
  l.debug({ now: "on" }, "debug now");
  l.level = "warn";
  l.info("off");
  l.fatal("fatal");
};

const strip = (s: string) => s.replace(/"time":("[^"]*"|\d+)/, '"time":T');

describe("small-pino writes pino's lines", () => {
  it("0_json_lines_as_portolan_configures_them:_no_base,_ISO_time", () => {
    const opts = { level: "info", base: undefined, timestamp: realPino.stdTimeFunctions.isoTime };
    const small = lines(smallPino as unknown as Factory, { ...opts, timestamp: smallPino.stdTimeFunctions.isoTime }, calls).map(strip);
    expect(small).toEqual(lines(realPino, opts, calls).map(strip));
    expect(small.length).toBeGreaterThan(10);
  });

  it("1_the_pretty_path's_options:_default_base_(pid,_hostname)_and_epoch_time", () => {
    const small = lines(smallPino as unknown as Factory, { level: "debug" }, calls).map(strip);
    expect(small).toEqual(lines(realPino, { level: "debug" }, calls).map(strip));
  });

  it("2_level,_isLevelEnabled_and_bindings_answer_as_pino's", () => {
    for (const f of [realPino, smallPino as unknown as Factory]) {
      const l = f({ level: "warn", base: undefined }, { write: () => {} });
      const c = l.child({ component: "x" }).child({ k: 2 });
      expect([l.level, l.isLevelEnabled("info"), l.isLevelEnabled("error"), c.bindings(), l.bindings(), c.level]).toEqual(["warn", false, true, { component: "x", k: 2 }, {}, "warn"]);
      const silent = f({ level: "silent" }, { write: () => expect.fail("silent wrote") });
      silent.fatal("nothing");
    }
  });
});
