// A container owner who sets megabytes of labels (dockerd takes them): real dockerd, `portolan registrator` with
// the embedded registry. The big container is refused with one line; an ordinary one registers as usual.
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_INSPECT_CHARS } from "../../src/docker/answers.js";
import { startCli, type Running } from "./cli.js";
import { docker, eventually, removeTestContainers, startTestContainer } from "./docker.js";
import { TESTBED } from "./testbed.js";

let proc: Running | undefined;
const created: string[] = [];

/** POST to dockerd over its socket (dockerode's create answers 431 for a body this large). */
function dockerPost(path: string, body?: object): Promise<void> {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : "";
    const req = request({ socketPath: TESTBED.dockerSocket, path, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (res) => {
      res.resume();
      res.on("end", () => (res.statusCode! < 300 ? resolve() : reject(new Error(`docker ${path}: ${res.statusCode}`))));
    });
    req.on("error", reject);
    req.end(data);
  });
}

/** A running busybox publishing 80/tcp on 127.0.0.1 with these labels. */
async function startBig(name: string, labels: Record<string, string>): Promise<void> {
  created.push(name);
  await dockerPost(`/containers/create?name=${name}`, {
    Image: TESTBED.busyboxImage,
    Cmd: ["sleep", "3600"],
    Labels: labels,
    ExposedPorts: { "80/tcp": {} },
    HostConfig: { PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
  await dockerPost(`/containers/${name}/start`);
}

afterEach(async () => {
  if (proc && proc.proc.exitCode === null) proc.proc.kill("SIGKILL");
  proc = undefined;
  await removeTestContainers();
  for (const name of created.splice(0)) await docker.getContainer(name).remove({ force: true }).catch(() => {});
});

const sizes: Array<{ case: string; chars: number; refused: boolean }> = [
  { case: "labels just under the limit register", chars: MAX_INSPECT_CHARS - 64 * 1024, refused: false },
  { case: "labels over the limit are refused once", chars: MAX_INSPECT_CHARS + 1024, refused: true },
];

describe("megabytes of labels", () => {
  sizes.forEach((c, i) => {
    it(`${i}_${c.case}; a small container beside it registers`, async () => {
      const tag = `huge${i}-${process.pid}`;
      await startBig(`sweepreg-${tag}-big`, { SERVICE_NAME: `big${i}`, "x.filler": "a".repeat(c.chars) });
      proc = startCli(["registrator", "--log-format", "json", "--hostname", tag, "--resync", "1", "memory:"]);
      await startTestContainer({ name: `sweepreg-${tag}-small`, labels: { SERVICE_NAME: `small${i}` }, ports: ["80/tcp"] });
      await eventually("the small container registered", () => proc!.logs().includes(`"service":"small${i}"`), 20_000);
      // Two more resyncs (--resync 1): the refusal is not repeated, the resync is not held up.
      await eventually("two resyncs after", () => proc!.logs().split('"resync done"').length > 3, 20_000);
      const lines = proc.logs().split("\n");
      const refusals = lines.filter((l) => l.includes('"key":"inspect"'));
      expect(refusals).toHaveLength(c.refused ? 1 : 0);
      expect(lines.some((l) => l.includes(`"service":"big${i}"`) && l.includes('"registered"'))).toBe(!c.refused);
      proc.proc.kill("SIGTERM");
      expect((await proc.exited).code).toBe(0);
    });
  });
});
