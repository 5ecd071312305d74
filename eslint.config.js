import js from "@eslint/js";
import nextPlugin from "@next/eslint-plugin-next";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

/** A lint zone: files matching `files` (tests excepted) may not import what `patterns` names (unless `allowTypeImports`). */
function boundary(files, message, patterns, { allowTypeImports = false } = {}) {
  return {
    files,
    ignores: ["**/*.test.ts", "**/*.test.tsx"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [{ group: patterns, message, allowTypeImports }] }],
    },
  };
}

export default tseslint.config(
  { ignores: ["node_modules/**", ".next/**", ".data/**", ".cache/**", "src/generated/**", "public/**/*.js", "next-env.d.ts", "test-results/**", "playwright-report/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks, "@next/next": nextPlugin },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...nextPlugin.configs.recommended.rules,
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  // Imports run downward only: core ← contracts ← platform ← the deployables (the Next app, edge/, workers/);
  // the app and the worker never import each other, and nothing ships imports tools/.
  boundary(["src/core/**"], "src/core is pure: it imports nothing of ours outside src/core.", [
    "~/*",
    "!~/core",
    "!~/core/*",
    "@edge/*",
    "@workers/*",
    "**/src/**",
    "**/contracts/**",
    "**/platform/**",
    "**/server/**",
    "**/workers/**",
    "**/edge/**",
    "**/tools/**",
  ]),
  boundary(["src/contracts/**"], "src/contracts is declared once for both sides of a process boundary: it imports only src/core.", [
    "~/*",
    "!~/core",
    "!~/core/*",
    "!~/contracts",
    "!~/contracts/*",
    "@edge/*",
    "@workers/*",
    "**/src/**",
    "**/generated/**",
    "**/platform/**",
    "**/app/**",
    "**/components/**",
    "**/server/**",
    "**/trpc/**",
    "**/lib/**",
    "**/workers/**",
    "**/edge/**",
    "**/tools/**",
  ]),
  boundary(["src/platform/**"], "src/platform is shared by every deployable: it may import src/core, never the app, edge/, workers/ or tools/.", [
    "~/app/*",
    "~/components/*",
    "~/server/*",
    "~/trpc/*",
    "~/lib/*",
    "@edge/*",
    "@workers/*",
    "**/workers/**",
    "**/edge/**",
    "**/tools/**",
  ]),
  boundary(
    ["src/app/**", "src/components/**", "src/server/**", "src/trpc/**", "src/lib/**", "edge/**"],
    "The web app and edge/ never import the worker or tools/ (only the query service's router type crosses, as a type).",
    ["@workers/*", "**/workers/**", "**/tools/**"],
    { allowTypeImports: true },
  ),
  boundary(["workers/**"], "workers/ never imports the web app or tools/: shared code lives in src/core and src/platform.", [
    "~/*",
    "**/src/app/**",
    "**/src/components/**",
    "**/src/server/**",
    "**/src/trpc/**",
    "**/src/lib/**",
    "**/tools/**",
  ]),
  {
    files: ["**/*.{js,mjs}"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
