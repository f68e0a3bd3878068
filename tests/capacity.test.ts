import assert from "node:assert/strict";
import fc from "fast-check";
import { cidrSize, cidrsOverlap, parseCidr, planCapacity } from "@hardened-coder/kubernetes";

describe("planCapacity", () => {
  it("plans nodes, pod and service ranges for the default 50 workspaces with headroom", () => {
    const plan = planCapacity();
    assert.equal(plan.workspaces, 50);
    assert.equal(plan.quota.pods, 75);
    assert.ok(plan.nodes.max * (plan.maxPodsPerNode - 8) >= plan.quota.pods);
    assert.ok(plan.pods);
    assert.ok(cidrSize(parseCidr(plan.pods.cidr)) >= plan.pods.needed);
    assert.ok(cidrSize(parseCidr(plan.services.cidr)) >= plan.services.needed);
  });

  it("gives each node a GKE-style pod range: 110 pods -> /24, 32 -> /26", () => {
    assert.equal(planCapacity({ maxPodsPerNode: 110 }).podRangePrefixPerNode, 24);
    assert.equal(planCapacity({ maxPodsPerNode: 64 }).podRangePrefixPerNode, 25);
    assert.equal(planCapacity({ maxPodsPerNode: 32 }).podRangePrefixPerNode, 26);
  });

  it("counts dev URLs against the services range and quota (Coder v1 style)", () => {
    const plan = planCapacity({ workspaces: 100, devUrlsPerWorkspace: 3, headroomPercent: 0 });
    assert.equal(plan.quota.services, 300);
    assert.ok(plan.services.needed >= 300);
  });

  it("puts pods in the node network for the VPC CNI, and refuses a separate pod range there", () => {
    const plan = planCapacity({ podsInNodeNetwork: true });
    assert.equal(plan.pods, undefined);
    assert.ok(plan.nodeNetwork.needed >= plan.nodes.max * plan.maxPodsPerNode);
    assert.throws(() => planCapacity({ podsInNodeNetwork: true, podCidr: "10.64.0.0/16" }), /podCidr/);
  });

  it("refuses a range too small for the plan, naming the field and the size needed", () => {
    assert.throws(
      () => planCapacity({ workspaces: 1000, podCidr: "10.64.0.0/24" }),
      /podCidr: 10\.64\.0\.0\/24 holds 256 addresses but the plan needs \d+; use a \/\d+/,
    );
    assert.throws(
      () => planCapacity({ workspaces: 10, devUrlsPerWorkspace: 10, serviceCidr: "172.20.0.0/28" }),
      /serviceCidr/,
    );
  });

  it("refuses overlapping ranges, naming both fields", () => {
    assert.throws(
      () => planCapacity({ nodeCidr: "10.0.0.0/16", podCidr: "10.0.128.0/17" }),
      /podCidr: 10\.0\.128\.0\/17 overlaps nodeCidr 10\.0\.0\.0\/16/,
    );
  });

  it("refuses negative, fractional and impossible sizes, naming the field", () => {
    assert.throws(() => planCapacity({ workspaces: -1 }), /^Error: workspaces: -1/);
    assert.throws(() => planCapacity({ workspaces: 2.5 }), /workspaces/);
    assert.throws(() => planCapacity({ devUrlsPerWorkspace: -1 }), /devUrlsPerWorkspace/);
    assert.throws(() => planCapacity({ maxPodsPerNode: 10, systemPodsPerNode: 10 }), /systemPodsPerNode/);
    assert.throws(
      () => planCapacity({ nodeCidr: "10.0.0.1/16" }),
      /nodeCidr: "10\.0\.0\.1\/16" has host bits set; did you mean 10\.0\.0\.0\/16/,
    );
  });

  it("always yields non-overlapping ranges large enough for any valid input", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 200 }),
        fc.constantFrom(16, 32, 64, 110),
        (workspaces, podsPerWorkspace, devUrlsPerWorkspace, headroomPercent, maxPodsPerNode) => {
          const plan = planCapacity({
            workspaces,
            podsPerWorkspace,
            devUrlsPerWorkspace,
            headroomPercent,
            maxPodsPerNode,
          });
          const ranges = [plan.nodeNetwork, plan.pods!, plan.services].map((r) => parseCidr(r.cidr));
          for (const [i, r] of ranges.entries()) {
            assert.ok(cidrSize(r) >= [plan.nodeNetwork, plan.pods!, plan.services][i]!.needed);
            for (const s of ranges.slice(i + 1)) assert.ok(!cidrsOverlap(r, s));
          }
          assert.ok(
            plan.nodes.max * (maxPodsPerNode - 8) >= plan.quota.pods ||
              plan.nodes.max * 8 * podsPerWorkspace >= plan.quota.pods,
          );
          assert.ok(plan.quota.pods >= workspaces * podsPerWorkspace);
        },
      ),
      { numRuns: 300 },
    );
  });
});
