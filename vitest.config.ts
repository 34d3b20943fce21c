import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Integration files share one real dockerd / Consul / ZooKeeper: run files one at a time.
    fileParallelism: false,
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          globalSetup: ["test/integration/global-setup.ts"],
        },
      },
    ],
  },
});
