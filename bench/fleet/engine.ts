// A simulated Docker Engine for one fleet host: the endpoints portolan's Docker client reads (src/docker/client.ts:
// GET /containers/json, /containers/{id}/json, /events with `since` and filters, /networks; /_ping and /version for
// anything else that asks), over a unix socket, with the host's containers held in memory. The fleet script starts,
// stops, removes containers and changes their health; each change is an event on the stream, as dockerd sends it.
// restart() drops every connection and forgets the event history, as a dockerd restart with live-restore does (the
// containers keep running, events before the restart cannot be replayed).
import { rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type SimHealth = "healthy" | "unhealthy";

export interface SimContainer {
  id: string;
  name: string;
  service: string;
  /** Published host port of the container's one exposed port (8080/tcp). */
  hostPort: number;
  running: boolean;
  /** Docker HEALTHCHECK status; undefined = the image has no health check. */
  health?: SimHealth;
}

interface Logged {
  timeNano: bigint;
  line: string;
}

/** Events kept for `since` replays (dockerd keeps a bounded in-memory log too). */
const EVENT_LOG = 4096;

export class SimEngine {
  readonly containers = new Map<string, SimContainer>();
  private log: Logged[] = [];
  private server: Server | undefined;
  private readonly streams = new Set<ServerResponse>();
  private lastNano = 0n;
  private seq = 0;
  /** Requests answered, by kind (list, inspect, events, other). */
  readonly requests = { list: 0, inspect: 0, events: 0, other: 0 };

  constructor(
    readonly host: string,
    readonly socketPath: string,
  ) {}

  get dockerHost(): string {
    return `unix://${this.socketPath}`;
  }

  async listen(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    const server = createServer((req, res) => this.answer(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.socketPath, () => resolve());
    });
    this.server = server;
  }

  /** Stops answering: every open connection (event streams included) is cut. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }

  /** A dockerd restart: connections cut, down for `downMs` (the script may change containers meanwhile), history gone. */
  async restart(downMs: number, whileDown: () => void = () => {}): Promise<void> {
    await this.close();
    whileDown();
    await new Promise((r) => setTimeout(r, downMs));
    this.log = [];
    await this.listen();
  }

  running(): SimContainer[] {
    return [...this.containers.values()].filter((c) => c.running);
  }

  /** Creates and starts a container (create, start events; with a health check, health_status after). */
  start(name: string, service: string, hostPort: number, health?: SimHealth): SimContainer {
    const id = `${this.host}-${name}-${++this.seq}`.replace(/[^a-zA-Z0-9]/g, "").padEnd(64, "0").slice(0, 64);
    const c: SimContainer = { id, name, service, hostPort, running: true, health };
    this.containers.set(id, c);
    this.event(c, "create");
    this.event(c, "start");
    if (health) this.event(c, `health_status: ${health}`);
    return c;
  }

  /** The container exits (die, stop) and is removed (destroy), as `docker rm -f` does. */
  remove(id: string): void {
    const c = this.containers.get(id);
    if (!c) return;
    if (c.running) {
      c.running = false;
      this.event(c, "kill");
      this.event(c, "die");
      this.event(c, "stop");
    }
    this.containers.delete(id);
    this.event(c, "destroy");
  }

  setHealth(id: string, health: SimHealth): void {
    const c = this.containers.get(id);
    if (!c?.running || c.health === health) return;
    c.health = health;
    this.event(c, `health_status: ${health}`);
  }

  /**
   * A strictly increasing event time (dockerd's timeNano), at least 1 µs apart: a reader that parses timeNano as a
   * JSON number (portolan does, as most clients) gets it to within 256 ns, so its `since` replays stay exact.
   */
  private now(): bigint {
    const t = BigInt(Date.now()) * 1_000_000n;
    this.lastNano = t > this.lastNano + 1000n ? t : this.lastNano + 1000n;
    return this.lastNano;
  }

  private event(c: SimContainer, action: string): void {
    const timeNano = this.now();
    const line = `${JSON.stringify({
      status: action,
      id: c.id,
      from: c.service,
      Type: "container",
      Action: action,
      Actor: { ID: c.id, Attributes: { image: c.service, name: c.name } },
      scope: "local",
      time: Number(timeNano / 1_000_000_000n),
      timeNano: 0,
    }).replace('"timeNano":0', `"timeNano":${timeNano}`)}\n`;
    this.log.push({ timeNano, line });
    if (this.log.length > EVENT_LOG) this.log.splice(0, this.log.length - EVENT_LOG);
    for (const s of this.streams) s.write(line);
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://engine");
    const path = url.pathname.replace(/^\/v[\d.]+\//, "/");
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { message: "read-only simulated engine" });
    if (path === "/containers/json") {
      this.requests.list++;
      return json(200, this.running().map((c) => this.summary(c)));
    }
    const inspect = /^\/containers\/([^/]+)\/json$/.exec(path);
    if (inspect) {
      this.requests.inspect++;
      const key = decodeURIComponent(inspect[1]!);
      const c = this.containers.get(key) ?? [...this.containers.values()].find((x) => x.name === key.replace(/^\//, ""));
      return c ? json(200, this.inspect(c)) : json(404, { message: `No such container: ${key}` });
    }
    if (path === "/events") return this.stream(url, res);
    this.requests.other++;
    if (path === "/_ping") {
      res.writeHead(200, { "content-type": "text/plain", "api-version": "1.43" }).end("OK");
      return;
    }
    if (path === "/version") return json(200, { Version: "24.0.0-sim", ApiVersion: "1.43", MinAPIVersion: "1.12", Os: "linux", Arch: "amd64" });
    if (path === "/networks") return json(200, [{ Name: "bridge", Id: "bridge0", Driver: "bridge" }, { Name: "host", Id: "host0", Driver: "host" }]);
    json(404, { message: `page not found: ${path}` });
  }

  private stream(url: URL, res: ServerResponse): void {
    this.requests.events++;
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    const since = url.searchParams.get("since");
    if (since) {
      const [sec = "0", frac = "0"] = since.split(".");
      const from = BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, "0").slice(0, 9));
      // dockerd replays events at or after `since`: the registrator may see its last event again (harmless).
      for (const e of this.log) if (e.timeNano >= from) res.write(e.line);
    }
    this.streams.add(res);
    res.on("close", () => this.streams.delete(res));
  }

  private summary(c: SimContainer): unknown {
    return {
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.service,
      State: "running",
      Status: "Up",
      Ports: [{ IP: "0.0.0.0", PrivatePort: 8080, PublicPort: c.hostPort, Type: "tcp" }],
      Labels: {},
    };
  }

  private inspect(c: SimContainer): unknown {
    const bindings = { "8080/tcp": [{ HostIp: "0.0.0.0", HostPort: String(c.hostPort) }] };
    return {
      Id: c.id,
      Name: `/${c.name}`,
      State: { Status: c.running ? "running" : "exited", Running: c.running, ExitCode: 0, ...(c.health ? { Health: { Status: c.health } } : {}) },
      Config: { Image: c.service, Env: [`SERVICE_NAME=${c.service}`, "PATH=/bin"], Labels: {}, ExposedPorts: { "8080/tcp": {} } },
      NetworkSettings: { Ports: bindings, Networks: { bridge: { IPAddress: "172.17.0.2", GlobalIPv6Address: "" } } },
      HostConfig: { NetworkMode: "bridge", PortBindings: bindings },
    };
  }
}
