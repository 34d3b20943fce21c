// `--workers`: two cluster workers share the port, take the primary's snapshot, and their stats are summed.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { assertBuilt } from "./cli.js";
import { dig } from "./dns-support.js";
import { until } from "../support/until.js";

const HARNESS = new URL("./dns-workers-harness.mjs", import.meta.url).pathname;
const PORT = 18677;

describe("dns workers", () => {
  it("0_answers from every worker, stats summed over workers", async () => {
    assertBuilt();
    const p = spawn(process.execPath, [HARNESS], { env: { ...process.env, PORT: String(PORT) }, stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
    try {
      await until("the workers to listen", () => out.includes("listening"), 15_000);
      for (let i = 0; i < 20; i++) expect((await dig(PORT, "web.service.consul", "A", i % 2 ? "+tcp" : "+notcp")).answer).toEqual(["web.service.consul. 0 IN A 10.0.0.1"]);
      p.stdin.write("go\n");
      await until("the stats", () => out.trim().split("\n").length >= 2, 10_000);
      const stats = JSON.parse(out.trim().split("\n")[1]!) as { queries: number; byType: Record<string, number>; cache: { hits: number; misses: number }; catalogVersion: number };
      expect(stats.queries).toBe(20);
      expect(stats.byType["A"]).toBe(20);
      expect(stats.cache.hits + stats.cache.misses).toBe(20);
      expect(stats.catalogVersion).toBe(3);
    } finally {
      p.stdin.end();
    }
    expect(await exited).toBe(0);
  });
});
