import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(__dirname, "..");

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Where Node would find `name` when required from `fromDir` (pnpm's symlinked layout included). */
function locate(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Every package a user gets by installing `@hardened-coder/gcp` with its required peers: its own
 * dependencies and non-optional peers, then, for each package, its dependencies (installed ones).
 */
function installClosure(start: string): Map<string, string> {
  const seen = new Map<string, string>();
  const queue: string[] = [realpathSync(start)];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const m = manifest(dir);
    if (seen.has(dir)) continue;
    seen.set(dir, m.name);
    const optionalPeers = new Set(
      Object.entries(m.peerDependenciesMeta ?? {})
        .filter(([, v]) => v.optional)
        .map(([k]) => k),
    );
    const names = [
      ...Object.keys(m.dependencies ?? {}),
      ...Object.keys(m.optionalDependencies ?? {}),
      ...Object.keys(m.peerDependencies ?? {}).filter((p) => !optionalPeers.has(p)),
    ];
    for (const name of names) {
      const found = locate(name, dir);
      if (found && !seen.has(found)) queue.push(found);
    }
  }
  return seen;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const importsAws = /(from\s+["']@pulumi\/aws["'/]|require\(\s*["']@pulumi\/aws|import\(\s*["']@pulumi\/aws)/;

describe("gcp: installing @hardened-coder/gcp brings no @pulumi/aws", () => {
  it("declares no AWS package among its dependencies or peers", () => {
    const m = manifest(join(root, "packages/gcp"));
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"] as const) {
      for (const name of Object.keys(m[field] ?? {})) assert.doesNotMatch(name, /aws/, `${field}: ${name}`);
    }
    assert.ok(m.peerDependencies?.["@pulumi/gcp"], "@pulumi/gcp is a peer");
  });

  it("its whole install closure (kubernetes package, Pulumi SDKs and their dependencies) holds no @pulumi/aws", () => {
    const closure = installClosure(join(root, "packages/gcp"));
    const names = [...closure.values()];
    assert.ok(names.includes("@hardened-coder/kubernetes"));
    assert.ok(names.includes("@pulumi/gcp"));
    assert.ok(names.includes("@pulumi/pulumi"));
    assert.ok(closure.size > 20, `walked ${closure.size} packages`);
    assert.deepEqual(
      names.filter((n) => n.startsWith("@pulumi/aws") || n === "@hardened-coder/aws"),
      [],
    );
  });

  it("no source file of the gcp or kubernetes package imports @pulumi/aws", () => {
    const files = [
      ...sourceFiles(join(root, "packages/gcp/src")),
      ...sourceFiles(join(root, "packages/kubernetes/src")),
    ];
    assert.ok(files.length > 5);
    for (const f of files) assert.doesNotMatch(readFileSync(f, "utf8"), importsAws, f);
    assert.match('import * as aws from "@pulumi/aws";', importsAws, "the pattern catches an import");
  });
});
