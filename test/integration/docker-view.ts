// A filtering view of the real Docker API on a unix socket: one simulated host. It shows only containers
// labelled `portolan.host=<host>` (list, inspect, events), so two registrators on one dockerd each see "their
// own" machine. It answers only the three calls the registrator makes; anything else is 404.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TESTBED } from "./testbed.js";

export const HOST_LABEL = "portolan.host";

export interface DockerView {
  /** DOCKER_HOST value for this view. */
  dockerHost: string;
  socketPath: string;
  close(): Promise<void>;
}

function upstream(req: IncomingMessage): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const up = request({ socketPath: TESTBED.dockerSocket, path: req.url, method: "GET" }, resolve);
    up.on("error", reject);
    up.end();
  });
}

async function text(res: IncomingMessage): Promise<string> {
  res.setEncoding("utf8");
  let s = "";
  for await (const c of res) s += c;
  return s;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts a view of the test bed's dockerd that shows only containers with label portolan.host=`host`. */
export async function startDockerView(host: string): Promise<DockerView> {
  const dir = mkdtempSync(join(tmpdir(), "portolan-view-"));
  const socketPath = join(dir, "docker.sock");
  const mine = new Set<string>();
  const ours = (labels: Record<string, string> | null | undefined) => labels?.[HOST_LABEL] === host;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "").replace(/^\/v\d+\.\d+/, "").split("?")[0]!;
      try {
        if (path === "/containers/json") {
          const up = await upstream(req);
          const list = JSON.parse(await text(up)) as Array<{ Id: string; Labels?: Record<string, string> }>;
          const kept = list.filter((c) => ours(c.Labels));
          for (const c of kept) mine.add(c.Id);
          return send(res, up.statusCode ?? 500, kept);
        }
        if (/^\/containers\/[^/]+\/json$/.test(path)) {
          const up = await upstream(req);
          const body = await text(up);
          if (up.statusCode !== 200) return send(res, up.statusCode ?? 500, JSON.parse(body || "{}"));
          const info = JSON.parse(body) as { Id: string; Config?: { Labels?: Record<string, string> } };
          if (!ours(info.Config?.Labels)) return send(res, 404, { message: "No such container" });
          mine.add(info.Id);
          return send(res, 200, info);
        }
        if (path === "/events") {
          const up = await upstream(req);
          res.writeHead(up.statusCode ?? 500, { "content-type": "application/json" });
          res.flushHeaders();
          req.on("close", () => up.destroy());
          let buf = "";
          up.setEncoding("utf8");
          for await (const chunk of up) {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf("\n")) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line.trim() === "") continue;
              const ev = JSON.parse(line) as { Type?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
              const attrs = ev.Actor?.Attributes ?? {};
              const keep = ev.Type === "container" ? ours(attrs) : ev.Type === "network" && mine.has(attrs.container ?? "");
              if (ev.Type === "container" && keep && ev.Actor?.ID) mine.add(ev.Actor.ID);
              if (keep) res.write(`${line}\n`);
            }
          }
          return res.end();
        }
        send(res, 404, { message: `not part of the view: ${path}` });
      } catch (err) {
        if (!res.headersSent) send(res, 502, { message: String(err) });
        else res.destroy();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
