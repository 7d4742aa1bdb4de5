import { defineConfig } from "vitest/config";

// One project per test level; the level is in the file name (Emmett's convention).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.unit.test.ts"],
          environment: "node",
          setupFiles: ["test/support/cleanup.ts"],
          // Property tests run hundreds of cases; on a loaded 2-core machine 5 s was not enough.
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "int",
          include: ["test/**/*.int.test.ts"],
          environment: "node",
          setupFiles: ["test/support/cleanup.ts"],
          globalSetup: ["test/int/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          // The tests share one broker and one emulator; files run one at a time so that
          // timing-sensitive assertions (consumer groups, redelivery) are not starved.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "infra",
          include: ["test/**/*.infra.test.ts"],
          environment: "node",
          setupFiles: ["test/support/cleanup.ts"],
          testTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
