// The portolan image, built the test bed's way: no image registry is reachable, so instead of `docker build`
// the Dockerfile's layout (/opt/portolan: package.json, production node_modules, dist, bin; ENTRYPOINT
// bin/portolan, CMD up) is laid on the test bed's node image and flattened with `docker export | docker import`.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertBuilt } from "./cli.js";
import { TESTBED } from "./testbed.js";

export const PORTOLAN_IMAGE = "portolan-test/portolan:latest";
const root = new URL("../../", import.meta.url).pathname;

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 }).trim();

export function buildPortolanImage(): void {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), "portolan-image-"));
  const app = join(dir, "opt", "portolan");
  const name = `portolan-image-build-${process.pid}`;
  try {
    mkdirSync(app, { recursive: true });
    for (const f of ["package.json", "package-lock.json", "dist", "bin", "node_modules"]) cpSync(join(root, f), join(app, f), { recursive: true, verbatimSymlinks: true });
    // As the Dockerfile's `npm prune --omit=dev`: offline, from what is installed.
    execFileSync("npm", ["prune", "--omit=dev", "--offline", "--no-audit", "--no-fund"], { cwd: app, stdio: "ignore" });
    docker("create", "--name", name, TESTBED.nodeImage, "true");
    docker("cp", join(dir, "opt"), `${name}:/`);
    execFileSync("sh", ["-c", `docker export ${name} | docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'WORKDIR /opt/portolan' --change 'ENTRYPOINT ["/opt/portolan/bin/portolan"]' --change 'CMD ["up"]' - ${PORTOLAN_IMAGE}`], { stdio: "ignore" });
  } finally {
    try {
      docker("rm", "-f", name);
    } catch {
      // never created
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
