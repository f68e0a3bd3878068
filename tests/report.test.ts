import assert from "node:assert/strict";
import {
  type ComplianceReport,
  complianceMarkdown,
  complianceReport,
  complianceStatuses,
  recommendationIds,
  recommendations,
  reportCoversCatalog,
  resourcesFromStackExport,
} from "@hardened-coder/kubernetes";
import { complianceReportOptions, policies, policyGuards } from "@hardened-coder/policy";
import { type RecordedResource, synth } from "./harness/engine";
import { blocking, runPack } from "./harness/policy";
import { type StackName, recordedStack, stackNames } from "./fixtures/default-stacks";
import { handWrittenEks } from "./fixtures/raw-stacks";
import { loadStackExportFixture, recordedFromExport, stackExport } from "./fixtures/stack-export";

const enforceable = recommendations.filter((r) => r.enforcement !== "documented").map((r) => r.id);

/** What every report must be: the 28 ids in order, a known status each, the pack's policy names. */
function assertWellFormed(report: ComplianceReport): void {
  assert.ok(reportCoversCatalog(report));
  assert.deepEqual(
    report.entries.map((e) => e.id),
    [...recommendationIds],
  );
  for (const e of report.entries) {
    assert.ok(complianceStatuses.includes(e.status), `${e.id}: status ${e.status}`);
    assert.ok(e.siteAdminDuty.length > 20, `${e.id}: a duty in plain words`);
    assert.equal(e.policy, enforceable.includes(e.id) ? e.id : undefined, `${e.id}: its policy`);
  }
  const total = complianceStatuses.reduce((n, s) => n + report.summary[s], 0);
  assert.equal(total, 28);
}

describe("compliance report", function () {
  this.timeout(120_000);
  const stacks = new Map<StackName, RecordedResource[]>();
  before(async () => {
    for (const name of stackNames) stacks.set(name, await recordedStack(name));
  });

  it("names the policies the pack has: every policy is a catalog id, every enforceable id has one", () => {
    const report = complianceReport([], complianceReportOptions());
    const guarded = report.entries.filter((e) => e.policy !== undefined).map((e) => e.policy!);
    assert.deepEqual([...guarded].sort(), policies.map((p) => p.name).sort());
    for (const p of policies) assert.ok((recommendationIds as readonly string[]).includes(p.name), p.name);
  });

  for (const name of stackNames) {
    describe(`on ${name} (the mock engine's record)`, () => {
      let report: ComplianceReport;
      before(() => {
        report = complianceReport(stacks.get(name)!, complianceReportOptions(name));
      });

      it("lists all 28 ids, each with a known status, its policy and the remaining duty", () => {
        assertWellFormed(report);
      });

      it("cites evidence by URN: components of the stack, and their resources the policy checks", () => {
        const rs = stacks.get(name)!;
        const urns = new Set(rs.map((r) => r.urn));
        let carriers = 0;
        for (const e of report.entries) {
          for (const x of e.evidence) {
            assert.ok(urns.has(x.urn), `${e.id}: ${x.urn}`);
            for (const u of x.resources) {
              const r = rs.find((y) => y.urn === u)!;
              assert.ok(policyGuards[e.id]!.includes(r.type), `${e.id}: ${r.type} is a type its policy checks`);
              carriers++;
            }
          }
        }
        assert.ok(carriers > 0, "names concrete resources, not only components");
      });

      it("marks a recommendation met only where a component of the stack declares its control", () => {
        const types = new Set(stacks.get(name)!.map((r) => r.type));
        for (const e of report.entries) {
          const rec = recommendations.find((r) => r.id === e.id)!;
          const present = rec.controls.some((c) => types.has(c.component));
          if (rec.enforcement === "documented" || !present) assert.equal(e.status, "site-admin-duty", e.id);
          else assert.notEqual(e.status, "site-admin-duty", e.id);
        }
        assert.equal(report.entries.find((e) => e.id === "git-dotfiles-access")!.status, "site-admin-duty");
        assert.equal(report.entries.find((e) => e.id === "storage-quotas")!.status, "met-by-default");
      });

      it("reads the same from the stack's `pulumi stack export` as from the recorder", async () => {
        const doc = stackExport(stacks.get(name)!);
        const fromExport = complianceReport(
          resourcesFromStackExport(JSON.parse(JSON.stringify(doc))),
          complianceReportOptions(name),
        );
        assert.deepEqual(fromExport, report);
        assert.deepEqual(
          blocking(await runPack(recordedFromExport(doc))),
          [],
          "the pack passes the deployed state too",
        );
      });
    });
  }

  it("marks cluster-level recommendations met on the clouds and left to the admin on a cluster you bring", () => {
    const byo = complianceReport(stacks.get("byo")!);
    const aws = complianceReport(stacks.get("aws")!);
    for (const id of ["cluster-dedicated", "roles-control-plane-access", "node-cloud-access"] as const) {
      assert.equal(aws.entries.find((e) => e.id === id)!.status, "met-by-default", `aws ${id}`);
    }
    const dedicated = byo.entries.find((e) => e.id === "cluster-dedicated")!;
    assert.equal(dedicated.status, "site-admin-duty");
    assert.match(dedicated.siteAdminDuty, /No component of this stack meets it.*policy cluster-dedicated/);
  });

  it("leaves a hand-written stack's recommendations to the admin, naming the resources each policy checks", async () => {
    const { resources } = await synth(() => handWrittenEks(false));
    const report = complianceReport(resources, complianceReportOptions("hand-written EKS"));
    assertWellFormed(report);
    assert.equal(report.summary["site-admin-duty"], 28);
    const cp = report.entries.find((e) => e.id === "roles-control-plane-access")!;
    assert.ok(cp.checkedResources.some((u) => u.endsWith("aws:eks/cluster:Cluster::coder")));
    assert.match(complianceMarkdown(report), /Also checked by `roles-control-plane-access`/);
  });

  describe("on a committed `pulumi stack export` (tests/fixtures/stack-export.json)", () => {
    const doc = loadStackExportFixture();
    const report = complianceReport(resourcesFromStackExport(doc), complianceReportOptions("coder-platform/prod"));

    it("lists all 28 ids with known statuses", () => {
      assertWellFormed(report);
      assert.ok(doc.deployment.resources.length > 20);
    });

    it("cites the deployed components by their URNs", () => {
      const quotas = report.entries.find((e) => e.id === "storage-quotas")!;
      assert.equal(quotas.status, "met-by-default");
      assert.ok(
        quotas.evidence.some(
          (x) => x.urn === "urn:pulumi:prod::coder-platform::hardened-coder:kubernetes:CoderNamespace::coder",
        ),
      );
      assert.ok(quotas.evidence.some((x) => x.resources.some((u) => u.includes("kubernetes:core/v1:ResourceQuota"))));
      assert.equal(report.entries.find((e) => e.id === "auth-impersonation")!.status, "met-by-default");
      assert.equal(report.entries.find((e) => e.id === "cluster-dedicated")!.status, "site-admin-duty");
    });

    it("passes the policy pack on the deployed state, with no secret in plain text", async () => {
      assert.deepEqual(blocking(await runPack(recordedFromExport(doc))), []);
      assert.ok(!JSON.stringify(doc).includes("oidc-secret"));
    });

    it("writes Markdown with a section per id and no unknown status", () => {
      const md = complianceMarkdown(report);
      for (const id of recommendationIds) assert.ok(md.includes(`### ${id}:`), id);
      assert.match(md, /\| `storage-quotas` \| site-admin \| met by default \| storage-quotas \|/);
      assert.doesNotMatch(md, /unknown|undefined/);
    });
  });

  it("refuses a document that is not a stack export, naming the field", () => {
    assert.throws(() => resourcesFromStackExport({ version: 3 }), /deployment\.resources/);
    assert.throws(() => resourcesFromStackExport(null), /deployment\.resources/);
  });
});
