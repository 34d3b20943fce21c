// The process bench/catalog.ts measures: `portolan up` exactly as the CLI wires it (registrator + embedded
// registry + catalog), except that the embedded registry starts with SERVICES x PER instances owned by other
// hosts (the registrator leaves them alone). Reads commands on stdin: `add ID` registers one more instance of svc0, `add-service NAME` one of a new service.
import { createInterface } from "node:readline";
import { createMemoryRegistry } from "../adapters/memory/index.js";
import { Command } from "commander";
import { addCatalogFlags, catalogCompanion, type CatalogFlags } from "../src/cli/catalog.js";
import { addRegistratorFlags, startRegistrator, type RegistratorFlags } from "../src/cli/registrator.js";
import type { Instance } from "../src/core/model.js";

const [listen = "127.0.0.1:18790", services = "1000", per = "5"] = process.argv.slice(2);

export function benchInstance(s: number, k: number, id = `host${k}:svc${s}-${k}:8080`): Instance {
  return {
    id,
    name: `svc${s}`,
    address: `10.${k}.${(s >> 8) & 255}.${s & 255}`,
    port: 8080,
    protocol: "tcp",
    tags: [`team${s % 17}`, k % 2 ? "blue" : "green"],
    meta: { version: String(s % 7) },
    checks: [],
    health: s % 50 === 0 && k === 0 ? "critical" : "passing",
    owner: `host${k}`,
    container: { id: `${s}`.padStart(64, "0"), name: `svc${s}-${k}` },
  };
}

// The flags as `portolan up` parses them (every default included).
const flags = addCatalogFlags(addRegistratorFlags(new Command("up")))
  .parse(["--log-format", "json", "--log-level", "warn", "--hostname", "bench-up", "--listen", listen], { from: "user" })
  .opts<RegistratorFlags & CatalogFlags>();
const registry = createMemoryRegistry();
for (let s = 0; s < Number(services); s++) for (let k = 0; k < Number(per); k++) await registry.register(benchInstance(s, k));
createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, id] = line.split(" ");
  if (cmd === "add" && id) void registry.register(benchInstance(0, 9, id));
  if (cmd === "add-service" && id) void registry.register({ ...benchInstance(0, 9, `${id}:1`), name: id });
});
await startRegistrator(flags, async () => registry, [catalogCompanion(flags)]);
