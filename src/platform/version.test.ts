import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildVersion, readBuildVersion } from "./version";

const A = "0123456789abcdef0123456789abcdef01234567";
const B = "89abcdef0123456789abcdef0123456789abcdef";
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function project(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), "prism-version-"));
  dirs.push(root);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), { recursive: true });
    await writeFile(path.join(root, name), text);
  }
  return root;
}

describe("build version", () => {
  it("answers this repository's package.json version and its checked-out commit", () => {
    expect(buildVersion()).toEqual({ version: "0.1.0", commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
  });

  it("prefers PRISM_COMMIT, then GIT_COMMIT, to what .git says", async () => {
    const root = await project({ "package.json": '{"version":"2.3.4"}', ".git/HEAD": `${A}\n` });
    expect(readBuildVersion({ root, env: { PRISM_COMMIT: B.toUpperCase() } })).toEqual({ version: "2.3.4", commit: B });
    expect(readBuildVersion({ root, env: { GIT_COMMIT: B } })).toEqual({ version: "2.3.4", commit: B });
    expect(readBuildVersion({ root, env: { PRISM_COMMIT: "not a commit" } })).toEqual({ version: "2.3.4", commit: A });
  });

  it("follows a branch to its loose or packed ref, and a worktree's .git file", async () => {
    const loose = await project({ "package.json": '{"version":"1.0.0"}', ".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": `${A}\n` });
    expect(readBuildVersion({ root: loose, env: {} }).commit).toBe(A);
    const packed = await project({ "package.json": "{}", ".git/HEAD": "ref: refs/heads/main\n", ".git/packed-refs": `# pack-refs\n${B} refs/heads/main\n` });
    expect(readBuildVersion({ root: packed, env: {} })).toEqual({ version: "unknown", commit: B });
    const base = await project({
      "wt/.git": "gitdir: ../repo/.git/worktrees/w\n",
      "repo/.git/worktrees/w/HEAD": "ref: refs/heads/feature\n",
      "repo/.git/worktrees/w/commondir": "../..\n",
      "repo/.git/refs/heads/feature": `${B}\n`,
    });
    const worktree = path.join(base, "wt");
    expect(readBuildVersion({ root: worktree, env: {} }).commit).toBe(B);
  });

  it("never fails: no package.json, no .git, a broken HEAD", async () => {
    const empty = await project({});
    expect(readBuildVersion({ root: empty, env: {} })).toEqual({ version: "unknown", commit: null });
    expect(readBuildVersion({ root: empty, env: { npm_package_version: "9.9.9" } })).toEqual({ version: "9.9.9", commit: null });
    const broken = await project({ "package.json": "{not json", ".git/HEAD": "ref: refs/heads/gone\n" });
    expect(readBuildVersion({ root: broken, env: {} })).toEqual({ version: "unknown", commit: null });
  });
});
