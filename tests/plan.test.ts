import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { recommendationIds } from "@hardened-coder/kubernetes";
import { type PlanResult, writePlan } from "./plan";
import { validateKubernetesObject } from "./harness/validate";

describe("pnpm run plan: the root Pulumi.yaml program, offline", () => {
  let out: string;
  let plan: PlanResult;
  before(async () => {
    out = mkdtempSync(join(tmpdir(), "hc-plan-"));
    plan = await writePlan(resolve(__dirname, "..", "Pulumi.yaml"), out);
  });

  it("writes the resource tree, the manifests and the compliance report", () => {
    for (const f of ["resources.txt", "manifests.yaml", "compliance.md", "compliance.json"]) {
      assert.ok(existsSync(join(out, f)), `${f} written`);
    }
    const tree = readFileSync(join(out, "resources.txt"), "utf8");
    assert.match(tree, /^pulumi:pulumi:Stack /m);
    assert.match(tree, /^ {2}hardened-coder:/m, "components are children of the stack");
  });

  it("writes only schema-valid Kubernetes manifests, with apiVersion and kind", async () => {
    const docs = parseAllDocuments(readFileSync(join(out, "manifests.yaml"), "utf8")).map(
      (d) => d.toJS() as { apiVersion: string; kind: string; metadata: { name: string } },
    );
    assert.equal(docs.length, plan.manifests);
    assert.ok(docs.length > 5);
    for (const doc of docs) {
      const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/") : ["core", doc.apiVersion];
      await validateKubernetesObject(`kubernetes:${group}/${version}:${doc.kind}`, doc, doc.metadata.name);
    }
    assert.ok(docs.some((d) => d.kind === "ResourceQuota"));
    assert.ok(docs.some((d) => d.kind === "NetworkPolicy"));
  });

  it("reports all 28 recommendations with a known status", () => {
    const json = JSON.parse(readFileSync(join(out, "compliance.json"), "utf8")) as {
      entries: { id: string; status: string }[];
    };
    assert.deepEqual(json.entries.map((e) => e.id).sort(), [...recommendationIds].sort());
    for (const e of json.entries)
      assert.ok(["met-by-default", "validated", "site-admin-duty"].includes(e.status), e.id);
    const md = readFileSync(join(out, "compliance.md"), "utf8");
    for (const id of recommendationIds) assert.ok(md.includes(`\`${id}\``), `${id} in compliance.md`);
  });
});

describe("pnpm run plan -- --stack offline-coder: the default stack with coderd, offline", () => {
  let plan: PlanResult;
  before(async () => {
    plan = await writePlan(
      resolve(__dirname, "..", "Pulumi.yaml"),
      mkdtempSync(join(tmpdir(), "hc-plan-coder-")),
      "offline-coder",
    );
  });

  it("deploys coderd and its database from the example's sample config", () => {
    const types = new Set(plan.resources.map((r) => r.type));
    assert.ok(types.has("hardened-coder:kubernetes:CoderControlPlane"));
    assert.ok([...types].some((t) => /^hardened-coder:(aws|gcp):CoderDatabase$/.test(t)));
  });

  it("moves coderd's recommendations from site-admin duty to met by default or validated", () => {
    const status = new Map(plan.report.entries.map((e) => [e.id, e.status]));
    for (const id of [
      "network-tls-coderd",
      "auth-provider-settings",
      "auth-impersonation",
      "git-single-provider-per-type",
    ]) {
      assert.notEqual(status.get(id as never), "site-admin-duty", id);
    }
  });
});
