/**
 * What a process answers as its version on /health: package.json's version and the git commit when
 * known, from PRISM_COMMIT or GIT_COMMIT (set by a build or deploy), else read from .git at start.
 * Best effort: anything unreadable gives null, never an error.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";

export interface BuildVersion {
  /** package.json's version, e.g. "0.1.0"; "unknown" when it cannot be read. */
  version: string;
  /** The 40-hex commit, or null when unknown. */
  commit: string | null;
}

const COMMIT = /^[0-9a-f]{7,40}$/i;

function readText(file: string): string | null {
  try {
    return readFileSync(/* turbopackIgnore: true */ file, "utf8");
  } catch {
    return null;
  }
}

/** The commit that `.git/HEAD` names: a detached id, or a branch's loose or packed ref; a worktree's `.git` file is followed. */
export function gitCommit(root: string): string | null {
  try {
    let gitDir = path.join(root, ".git");
    // The ignore comments keep Next's file tracing from copying the whole project into the build.
    if (statSync(/* turbopackIgnore: true */ gitDir).isFile()) {
      const pointer = readText(gitDir)
        ?.match(/^gitdir:\s*(.+)$/m)?.[1]
        ?.trim();
      if (!pointer) return null;
      gitDir = path.resolve(root, pointer);
    }
    const head = readText(path.join(gitDir, "HEAD"))?.trim();
    if (!head) return null;
    if (!head.startsWith("ref:")) return COMMIT.test(head) ? head.toLowerCase() : null;
    const ref = head.slice(4).trim();
    // A linked worktree keeps its refs in the common dir.
    const common = readText(path.join(gitDir, "commondir"))?.trim();
    const dirs = common ? [gitDir, path.resolve(gitDir, common)] : [gitDir];
    for (const dir of dirs) {
      const loose = readText(path.join(dir, ref))?.trim();
      if (loose && COMMIT.test(loose)) return loose.toLowerCase();
      const packed = readText(path.join(dir, "packed-refs"))
        ?.split("\n")
        .find((line) => line.endsWith(` ${ref}`))
        ?.split(" ")[0];
      if (packed && COMMIT.test(packed)) return packed.toLowerCase();
    }
    return null;
  } catch {
    return null;
  }
}

export function readBuildVersion(options: { root?: string; env?: Record<string, string | undefined> } = {}): BuildVersion {
  const root = options.root ?? process.cwd();
  const env = options.env ?? process.env;
  let version = "unknown";
  try {
    const parsed: unknown = JSON.parse(readText(path.join(root, "package.json")) ?? "null");
    if (parsed && typeof parsed === "object" && "version" in parsed && typeof parsed.version === "string") version = parsed.version;
    else if (env.npm_package_version) version = env.npm_package_version;
  } catch {
    if (env.npm_package_version) version = env.npm_package_version;
  }
  const given = [env.PRISM_COMMIT, env.GIT_COMMIT].map((value) => value?.trim()).find((value) => value && COMMIT.test(value));
  return { version, commit: given ? given.toLowerCase() : gitCommit(root) };
}

let cached: BuildVersion | undefined;

/** This process's version, read once (at the first /health) and kept. */
export function buildVersion(): BuildVersion {
  cached ??= readBuildVersion();
  return cached;
}
