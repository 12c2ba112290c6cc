import { defineConfig } from "vitest/config";

// Unit and integration tests live beside the code in src/. Real-kernel boots are a separate
// project (qemu-tests/) because they are slow under TCG and need the built initramfs.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "build/**/*.test.ts", "qemu-tests/lib/**/*.test.ts"],
          // build/cache holds debootstrap roots (with /proc mounted while they are made) and kernels.
          exclude: ["build/cache/**", "build/out/**", "node_modules/**"],
          testTimeout: 60_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: "qemu",
          include: ["qemu-tests/*.test.ts"],
          globalSetup: ["qemu-tests/setup.ts"],
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
