import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Real dockerd / Consul / ZooKeeper are shared: run files one at a time.
          fileParallelism: false,
          globalSetup: ["test/integration/global-setup.ts"],
        },
      },
    ],
  },
});
