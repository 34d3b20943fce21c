// Shared pieces of the ZooKeeper integration tests: raw client, instances, a real Curator reader, log capture.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "node-zookeeper-client";
import type { Instance } from "../../src/core/model.js";
import type { Client } from "../../adapters/zookeeper/ops.js";
import { Exception, getChildren, remove, zkCode } from "../../adapters/zookeeper/ops.js";

/** A plain client, as another process reading the tree would have. */
export async function rawClient(connect: string, extra: Record<string, unknown> = {}): Promise<Client> {
  const c = createClient(connect, { sessionTimeout: 10_000, spinDelay: 200, ...extra });
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(t);
      c.close();
      reject(new Error(`${why}: ${connect}`));
    };
    const t = setTimeout(() => fail("no connection"), 15_000);
    // Joining a session that is already gone ends in "expired", not "connected".
    c.once("expired", () => fail("session expired"));
    c.once("connected", () => {
      clearTimeout(t);
      resolve();
    });
    c.connect();
  });
  return c;
}

export async function removeTree(c: Client, path: string): Promise<void> {
  let children: string[];
  try {
    children = await getChildren(c, path);
  } catch (e) {
    if (zkCode(e) === Exception.NO_NODE) return;
    throw e;
  }
  for (const ch of children) await removeTree(c, `${path}/${ch}`);
  try {
    await remove(c, path);
  } catch (e) {
    if (zkCode(e) !== Exception.NO_NODE) throw e;
  }
}

export function uniqueBase(tag: string): string {
  return `/portolan-it-${tag}-${process.pid}-${Date.now().toString(36)}`;
}

export function instance(name: string, container: string, port: number, over: Partial<Instance> = {}): Instance {
  return {
    id: `host1:${container}:${port}`,
    name,
    address: "127.0.0.1",
    port: 30000 + port,
    protocol: "tcp",
    tags: ["t1"],
    meta: { zone: "a" },
    checks: [{ type: "http", target: `http://127.0.0.1:${30000 + port}/health`, intervalMs: 10_000 }],
    health: "passing",
    owner: "host1",
    container: { id: `c-${container}`, name: container },
    ...over,
  };
}

export { capturingLogger } from "../support/capturing-logger.js";

const JAVA_SRC = new URL("./java/CuratorReader.java", import.meta.url).pathname;
/** Debian libcurator-discovery-java; its manifest pulls curator-framework/client, zookeeper, jackson, guava, slf4j-api. */
const JAVA_CP = ["/usr/share/java/curator-x-discovery.jar", "/usr/share/java/slf4j-nop.jar"];

const SPRING_STUB = new URL("./java/spring/ZookeeperInstance.java", import.meta.url).pathname;

export interface CuratorReaderOptions {
  /** Put the stand-in for Spring Cloud Zookeeper's payload class on the class path. */
  spring?: boolean;
}

/** Compiles test/integration/java/CuratorReader.java with javac; returns a function that runs it (throws on a non-zero exit). */
export function curatorReader(opts: CuratorReaderOptions = {}): (...args: string[]) => string[] {
  const out = mkdtempSync(join(tmpdir(), "portolan-curator-"));
  execFileSync("javac", ["-cp", JAVA_CP.join(":"), "-d", out, JAVA_SRC, ...(opts.spring ? [SPRING_STUB] : [])], { stdio: "pipe" });
  const cp = [out, ...JAVA_CP].join(":");
  return (...args) =>
    execFileSync("java", ["-cp", cp, "CuratorReader", ...args], { encoding: "utf8", timeout: 60_000, stdio: "pipe" })
      .split("\n")
      .filter((l) => l !== "");
}

/** Next snapshot from a watch iterator that satisfies `pred`, or throws after `ms`. */
export async function nextMatching<T>(it: AsyncIterator<T>, pred: (v: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error("no matching snapshot in time");
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      it.next(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("no matching snapshot in time")), left))),
    ]).finally(() => clearTimeout(timer));
    if (r.done) throw new Error("watch ended");
    if (pred(r.value)) return r.value;
  }
}
