// Harness for dns-workers.test.ts (plain JS: cluster workers re-run this file): two workers on PORT, fed one
// snapshot by the primary; after the test's queries (line "go" on stdin) prints the summed stats as JSON, stops the
// workers and prints how each ended ({code, signal}).
import cluster from "node:cluster";
import console from "node:console";
import process from "node:process";
import { createInterface } from "node:readline";
import { DnsWorkers, isDnsWorker, runDnsWorker } from "../../dist/src/dns/cluster.js";
import { dnsOptions } from "../../dist/src/dns/options.js";
import { silentLogger } from "../../dist/src/core/log.js";

const opts = dnsOptions({ listen: { host: "127.0.0.1", port: Number(process.env.PORT) } });
if (isDnsWorker()) {
  await runDnsWorker(opts, silentLogger(), new Promise(() => {}));
} else {
  const exits = [];
  cluster.on("exit", (_w, code, signal) => exits.push({ code, signal }));
  const workers = new DnsWorkers(silentLogger());
  workers.update({ version: 3, instances: [{ id: "a", name: "web", address: "10.0.0.1", port: 80, protocol: "tcp", tags: [], meta: {}, checks: [], health: "passing", owner: "h" }] });
  await workers.start(2);
  console.log("listening");
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === "go") break;
  }
  console.log(JSON.stringify(await workers.stats()));
  await workers.close();
  console.log(JSON.stringify(exits));
}
