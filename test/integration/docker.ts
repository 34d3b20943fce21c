// Containers for integration tests: made from the test bed's busybox image, ports published on 127.0.0.1 only,
// removed by `removeTestContainers()` (every container carries the label portolan.test=<run>).
import Dockerode from "dockerode";
import { TESTBED } from "./testbed.js";

export const docker = new Dockerode({ socketPath: TESTBED.dockerSocket });
export const RUN_LABEL = "portolan.test";
const run = `r${process.pid}`;

export interface TestContainerSpec {
  name: string;
  env?: Record<string, string>;
  labels?: Record<string, string>;
  /** Exposed ports, e.g. ["80/tcp", "53/udp"]; each is published on 127.0.0.1 at a random port unless `publish` is false. */
  ports?: string[];
  publish?: boolean;
  cmd?: string[];
  healthcheck?: { test: string[]; intervalMs: number };
  network?: string;
  autoRemove?: boolean;
  restart?: "no" | "always";
}

export async function createTestContainer(spec: TestContainerSpec): Promise<Dockerode.Container> {
  const exposed = Object.fromEntries((spec.ports ?? []).map((p) => [p, {}]));
  const bindings = spec.publish === false ? {} : Object.fromEntries((spec.ports ?? []).map((p) => [p, [{ HostIp: "127.0.0.1", HostPort: "" }]]));
  return docker.createContainer({
    name: spec.name,
    Image: TESTBED.busyboxImage,
    Cmd: spec.cmd ?? ["sleep", "3600"],
    Env: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { ...spec.labels, [RUN_LABEL]: run },
    ExposedPorts: exposed,
    StopSignal: "SIGKILL",
    Healthcheck: spec.healthcheck ? { Test: spec.healthcheck.test, Interval: spec.healthcheck.intervalMs * 1e6, Retries: 1, StartPeriod: 0 } : undefined,
    HostConfig: { PortBindings: bindings, NetworkMode: spec.network, AutoRemove: spec.autoRemove ?? false, RestartPolicy: { Name: spec.restart ?? "no" } },
  });
}

export async function startTestContainer(spec: TestContainerSpec): Promise<Dockerode.Container> {
  const c = await createTestContainer(spec);
  await c.start();
  return c;
}

/** Removes every container this test process created. */
export async function removeTestContainers(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${run}`] } });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => {})));
}

/** Removes networks this test created (name prefix). */
export async function removeNetworks(prefix: string): Promise<void> {
  const nets = await docker.listNetworks();
  await Promise.all(nets.filter((n) => n.Name.startsWith(prefix)).map((n) => docker.getNetwork(n.Id).remove().catch(() => {})));
}

/** The 127.0.0.1 host port docker published for `port` ("80/tcp"). */
export async function publishedPort(c: Dockerode.Container, port: string): Promise<number> {
  const info = await c.inspect();
  const b = info.NetworkSettings.Ports[port]?.[0];
  if (!b) throw new Error(`${port} is not published`);
  return Number(b.HostPort);
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes; then throws naming `what`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
