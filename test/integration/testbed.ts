// Fixed addresses of the real test bed started by scripts/testbed.sh (see DESIGN.md "Test bed").
// Everything binds to loopback.
export const TESTBED = {
  dockerSocket: "/var/run/docker.sock",
  busyboxImage: "portolan-test/busybox:latest",
  nodeImage: "portolan-test/node:latest",
  consul: { host: "127.0.0.1", port: 18500 },
  zkStandalone: "127.0.0.1:21810",
  zkEnsemble: ["127.0.0.1:21811", "127.0.0.1:21812", "127.0.0.1:21813"],
  script: new URL("../../scripts/testbed.sh", import.meta.url).pathname,
} as const;
