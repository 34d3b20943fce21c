// A stop ends the process as soon as its work is done, and always within --shutdown-timeout, after containers came
// and went (real bin/portolan, real dockerd, the embedded registry). A removed container's inspect answers 404; its
// body was never read, so the keep-alive connection to dockerd stayed referenced and held the process until the
// exit fallback at --shutdown-timeout + 1 s (docker stop: SIGKILL, exit 137).
import { afterEach, describe, expect, it } from "vitest";
import { startBin } from "./cli.js";
import { eventually, removeTestContainers, startTestContainer } from "./docker.js";

afterEach(async () => {
  await removeTestContainers();
});

const cases: Array<{ case: string; args: string[] }> = [
  { case: "registrator memory:", args: ["registrator", "--shutdown-timeout", "3s", "memory:"] },
  { case: "registrator memory:, default timeout", args: ["registrator", "memory:"] },
  { case: "up", args: ["up", "--shutdown-timeout", "3s", "--dns", "127.0.0.1:0", "--listen", "127.0.0.1:0"] },
];

describe("shutdown after a container came and went", () => {
  cases.forEach((c, i) => {
    it(`${i}_${c.case}: SIGTERM exits 0 well within the bound`, async () => {
      const host = `bound${i}-${process.pid}`;
      const run = startBin([...c.args, "--hostname", host, "--log-format", "json"]);
      try {
        await eventually("started", () => run.logs().includes('"resync done"'), 20_000);
        const name = `portolan-bound-${i}-${process.pid}`;
        const container = await startTestContainer({ name, ports: ["80/tcp"] });
        await eventually("registered", () => run.logs().includes(`"id":"${host}:${name}:80"`) && run.logs().includes('"registered"'), 10_000);
        await container.remove({ force: true });
        await eventually("deregistered", () => run.logs().includes('"deregistered"'), 10_000);
        // Both the die and the destroy event's inspect (a 404) are done before the stop.
        await new Promise((r) => setTimeout(r, 500));
        const sent = Date.now();
        run.proc.kill("SIGTERM");
        const end = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(r, 5_000))]);
        const took = Date.now() - sent;
        expect(end, `still running 5 s after SIGTERM; logs: ${run.logs()}`).toBeDefined();
        expect(end!.code).toBe(0);
        expect(took, run.logs()).toBeLessThan(2_000);
        expect(run.logs()).toContain('"msg":"stopped"');
      } finally {
        if (run.proc.exitCode === null) run.proc.kill("SIGKILL");
      }
    });
  });
});
