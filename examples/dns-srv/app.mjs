// Finds a peer by SRV through the DNS shim and calls it: the port comes from DNS, not from configuration.
// node app.mjs SERVICE [--gone]   (DNS_SERVER=127.0.0.1:8600)
import { Resolver } from "node:dns/promises";
import http from "node:http";
import console from "node:console";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";

const [service, mode] = process.argv.slice(2);
const resolver = new Resolver({ timeout: 1000, tries: 2 });
resolver.setServers([process.env.DNS_SERVER || "127.0.0.1:8600"]);
const srvName = `_${service}._tcp.service.consul`;

function get(host, port) {
  return new Promise((resolve, reject) => {
    http.get({ host, port, path: "/" }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(body.trim()));
    }).on("error", reject);
  });
}

/** Retries `fn` for up to 10 s (the registrator needs a moment to see a new container). */
async function retry(fn) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= 100) throw err;
      await sleep(100);
    }
  }
}

async function main() {
  if (mode === "--gone") {
    const code = await retry(async () => {
      const err = await resolver.resolveSrv(srvName).then(() => undefined, (e) => e);
      if (!err) throw new Error(`${srvName} still answers`);
      return err.code;
    });
    console.log(`after docker stop: ${srvName} -> ${code}`);
    return;
  }
  const [peer] = await retry(() => resolver.resolveSrv(srvName));
  const [address] = await resolver.resolve4(peer.name);
  console.log(`SRV ${srvName} -> ${peer.name}:${peer.port}`);
  console.log(`A ${peer.name} -> ${address}`);
  console.log(`${service} says: ${await retry(() => get(address, peer.port))}`);
}

await main();
