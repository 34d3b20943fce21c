// The portolan image, built with `docker build` from the repository's Dockerfile. No image registry is reachable
// in the test bed: both stages start FROM its imported node image (BASE), the build stage FROM that image plus
// npm and an offline npm cache (BUILD_BASE, made by scripts/testbed/image.sh, tagged with package-lock.json's
// hash). Docker's layer cache keeps a rebuild to the steps whose inputs changed.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { TESTBED } from "./testbed.js";

export const PORTOLAN_IMAGE = "portolan-test/portolan:latest";
const root = new URL("../../", import.meta.url).pathname;

/** The build stage's base: scripts/testbed/image.sh's image_builder for this lockfile. */
export function builderImage(): string {
  const hash = createHash("sha256").update(readFileSync(`${root}package-lock.json`)).digest("hex").slice(0, 12);
  return `portolan-test/node-build:${hash}`;
}

/** `docker build` of the Dockerfile into PORTOLAN_IMAGE; throws with the build's last output lines when it fails. */
export function buildPortolanImage(): void {
  const builder = builderImage();
  if (spawnSync("docker", ["image", "inspect", builder], { stdio: "ignore" }).status !== 0) {
    throw new Error(`${builder} is missing (the build stage's offline npm): run scripts/testbed.sh up`);
  }
  const r = spawnSync("docker", ["build", "--build-arg", `BASE=${TESTBED.nodeImage}`, "--build-arg", `BUILD_BASE=${builder}`, "-t", PORTOLAN_IMAGE, root], {
    encoding: "utf8",
    env: { ...process.env, DOCKER_BUILDKIT: "0" }, // Debian's docker.io has no buildx; the classic builder ships with it
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) {
    const out = `${r.stdout}${r.stderr}`.split("\n").slice(-30).join("\n");
    throw new Error(`docker build of the Dockerfile failed (exit ${r.status ?? r.signal}):\n${out}`);
  }
}
