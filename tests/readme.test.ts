/**
 * The README is read by people who copy from it: its usage example must run as written, and its
 * recommendation table must say what the catalog says.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { recommendations } from "@hardened-coder/kubernetes";
import { isSecretOutput, loadProgram, synth } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const root = resolve(__dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

describe("README", () => {
  it("lists every recommendation with the catalog's responsibility and enforcement", () => {
    for (const r of recommendations) {
      const row = readme
        .split("\n")
        .find((l) => l.startsWith(`| \`${r.id}\` | ${r.responsibility} | ${r.enforcement} |`));
      assert.ok(row, `README table row for ${r.id} (${r.responsibility}, ${r.enforcement})`);
    }
  });

  it("its usage example runs unchanged under the mock engine, with a secret kubeconfig", async () => {
    const snippet = /```ts\n(import \* as pulumi[\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(snippet, "the README's first TypeScript example");
    const dir = join(__dirname, ".readme");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "usage.ts");
    writeFileSync(file, snippet);
    try {
      let secret = false;
      const { resources } = await synth(
        async () => {
          const mod = loadProgram(file) as { kubeconfig: pulumi.Output<string> };
          secret = await isSecretOutput(mod.kubeconfig);
          return mod;
        },
        {
          config: { oidcClientSecret: "s1", githubClientSecret: "s2" },
          secretConfig: ["oidcClientSecret", "githubClientSecret"],
        },
      );
      assert.ok(secret);
      const types = new Set(resources.map((r) => r.type));
      assert.ok(types.has("hardened-coder:aws:HardenedCluster"));
      assert.ok(types.has("hardened-coder:kubernetes:CoderControlPlane"));
      assert.ok(types.has("hardened-coder:aws:CoderDatabase"));
      await validateAllKubernetesObjects(resources);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
