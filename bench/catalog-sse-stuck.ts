// Event-stream clients that never read: `npm run bench:catalog-stuck [-- CLIENTS]` (default 1,000). A `portolan up`
// holding 1,000 services / 5,000 instances (bench/catalog-up.ts) gets CLIENTS /v1/events connections whose
// reader is paused; prints the process's RSS each 3 s for 18 s, then after 30 registry changes, and how many
// clients the server still keeps. Loopback only (port 18777).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

const CLIENTS = Number(process.argv[2] ?? 1000);
const PORT = 18777;
const up = spawn(process.execPath, ["--max-semi-space-size=1", new URL("./catalog-up.js", import.meta.url).pathname, `127.0.0.1:${PORT}`, "1000", "5"], { stdio: ["pipe", "ignore", "inherit"] });
const rssMiB = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${up.pid}/status`, "utf8"))![1]) / 1024);

function get(path: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(PORT, "127.0.0.1", () => s.end(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let text = "";
    s.setEncoding("utf8").on("data", (d: string) => (text += d));
    s.on("close", () => resolve(text));
    s.on("error", () => resolve(""));
  });
}

while (!(await get("/healthz")).includes(" 200 ")) await sleep(200);
console.log(`before: RSS ${rssMiB()} MiB; snapshot ${((await get("/v1/instances")).length / 1e6).toFixed(1)} MB`);
const socks: Socket[] = [];
for (let i = 0; i < CLIENTS; i++) {
  const s = connect(PORT, "127.0.0.1");
  s.on("error", () => {});
  s.pause();
  s.write("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  socks.push(s);
}
for (let t = 3; t <= 18; t += 3) {
  await sleep(3000);
  console.log(`${CLIENTS} stuck clients, t=${t}s: RSS ${rssMiB()} MiB`);
}
for (let k = 0; k < 30; k++) {
  up.stdin.write(`add stuck${k}\n`);
  await sleep(200);
}
await sleep(1000);
const kept = /^portolan_catalog_sse_clients (\d+)$/m.exec(await get("/metrics"))?.[1];
console.log(`after 30 changes: RSS ${rssMiB()} MiB; clients kept ${kept}`);
for (const s of socks) s.destroy();
up.kill("SIGTERM");
