import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", ".testbed/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain CommonJS programs that run inside example images (no TypeScript, no build step).
    files: ["examples/**/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", module: "writable", process: "readonly", console: "readonly", setInterval: "readonly", setTimeout: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  // The architecture as a lint rule (STYLE.md): core imports nothing of ours; adapters import only core; stages
  // never import adapters or the CLI; only src/cli wires concrete adapters.
  {
    files: ["src/core/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["../docker/**", "../registrator/**", "../render/**", "../dns/**", "../catalog/**", "../cli/**", "**/adapters/**"], message: "src/core imports nothing of ours outside core" }] }],
    },
  },
  {
    files: ["adapters/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["../../src/docker/**", "../../src/registrator/**", "../../src/render/**", "../../src/dns/**", "../../src/catalog/**", "../../src/cli/**"], message: "adapters import only src/core" }] }],
    },
  },
  {
    files: ["src/docker/**/*.ts", "src/registrator/**/*.ts", "src/render/**/*.ts", "src/dns/**/*.ts", "src/catalog/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/adapters/**", "../cli/**"], message: "only src/cli wires adapters; stages never import the CLI" }] }],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
    },
  },
);
