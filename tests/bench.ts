/**
 * `pnpm run bench`: one run, every figure a ratio measured in that run (never a timed test).
 *
 *   (a) synth of 1, 10, 100 and 1,000 CoderNamespaces against the engine floor (the same number of
 *       bare custom resources registered under the same mock engine), and the slope;
 *   (b) synth of each default stack against the engine floor for its resource count;
 *   (c) each stack's deploy critical path: the longest chain through its dependency graph
 *       (dependencies, parent and provider edges), weighted by the typical create times below,
 *       against the unavoidable chain network -> control plane -> nodes.
 *
 * `pnpm run bench -- --nightly` (or HC_BENCH_NIGHTLY=1) adds the nightly-sized random-stack run:
 * 1,000 valid argument sets across the three stacks, each synthesised and passed through the whole
 * policy pack, and 300 invalid ones, each refused naming the field (tens of minutes).
 */
import { performance } from "node:perf_hooks";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { CoderNamespace } from "@hardened-coder/kubernetes";
import { type RecordedResource, synth } from "./harness/engine";
import { type StackName, defaultStacks, stackNames } from "./fixtures/default-stacks";
import { checkInvalidStack, checkValidStack, invalidStack, runCounts, validStack } from "./fixtures/random-stacks";

/**
 * Typical create times, in seconds, of the resource types our stacks declare: what a deploy waits
 * for, not guarantees. Sources: the providers' documented create timeouts and common experience
 * (EKS control plane ~10 min, managed node group ~4 min, RDS ~8 min, NAT gateway ~2 min, GKE
 * private regional control plane ~7 min, node pool ~4 min, Cloud SQL ~10 min, an API enablement
 * ~1 min, a Kubernetes object ~1 s, a Helm release that waits for coderd's pods ~90 s).
 */
export const createSeconds: Readonly<Record<string, number>> = {
  "aws:ec2/vpc:Vpc": 5,
  "aws:ec2/subnet:Subnet": 5,
  "aws:ec2/internetGateway:InternetGateway": 5,
  "aws:ec2/eip:Eip": 3,
  "aws:ec2/natGateway:NatGateway": 120,
  "aws:ec2/routeTable:RouteTable": 3,
  "aws:ec2/route:Route": 3,
  "aws:ec2/routeTableAssociation:RouteTableAssociation": 2,
  "aws:ec2/securityGroup:SecurityGroup": 5,
  "aws:ec2/launchTemplate:LaunchTemplate": 3,
  "aws:ec2/flowLog:FlowLog": 10,
  "aws:kms/key:Key": 10,
  "aws:kms/alias:Alias": 2,
  "aws:iam/role:Role": 5,
  "aws:iam/rolePolicy:RolePolicy": 3,
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 3,
  "aws:cloudwatch/logGroup:LogGroup": 3,
  "aws:ecr/repository:Repository": 3,
  "aws:eks/cluster:Cluster": 600,
  "aws:eks/nodeGroup:NodeGroup": 240,
  "aws:eks/addon:Addon": 60,
  "aws:eks/accessEntry:AccessEntry": 5,
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": 5,
  "aws:eks/podIdentityAssociation:PodIdentityAssociation": 10,
  "aws:rds/instance:Instance": 480,
  "aws:rds/subnetGroup:SubnetGroup": 5,
  "aws:rds/parameterGroup:ParameterGroup": 5,
  "gcp:projects/service:Service": 60,
  "gcp:compute/network:Network": 30,
  "gcp:compute/subnetwork:Subnetwork": 20,
  "gcp:compute/router:Router": 20,
  "gcp:compute/routerNat:RouterNat": 30,
  "gcp:compute/firewall:Firewall": 10,
  "gcp:compute/globalAddress:GlobalAddress": 10,
  "gcp:servicenetworking/connection:Connection": 60,
  "gcp:kms/keyRing:KeyRing": 5,
  "gcp:kms/cryptoKey:CryptoKey": 5,
  "gcp:serviceaccount/account:Account": 5,
  "gcp:container/cluster:Cluster": 420,
  "gcp:container/nodePool:NodePool": 240,
  "gcp:sql/databaseInstance:DatabaseInstance": 600,
  "gcp:sql/database:Database": 10,
  "gcp:sql/user:User": 10,
  "kubernetes:helm.sh/v4:Chart": 90,
  "kubernetes:batch/v1:Job": 60,
};

/** Create time of a type: the table, else a default by provider (components and providers: 0). */
export function createTime(r: Pick<RecordedResource, "type" | "custom">): number {
  const t = createSeconds[r.type];
  if (t !== undefined) return t;
  if (!r.custom || r.type.startsWith("pulumi:")) return 0;
  if (r.type.startsWith("kubernetes:")) return 1;
  if (r.type.startsWith("gcp:projects/") || r.type.includes("IAM") || r.type.includes("Iam")) return 10;
  return 5;
}

/** A resource's predecessors: what it waits for (dependencies, its parent, its provider). */
function predecessors(r: RecordedResource): string[] {
  const provider = r.provider ? r.provider.slice(0, r.provider.lastIndexOf("::")) : "";
  return [...r.dependencies, ...(r.parent ? [r.parent] : []), ...(provider ? [provider] : [])];
}

export interface CriticalPath {
  readonly seconds: number;
  readonly chain: readonly RecordedResource[];
}

/** The longest weighted chain through the stack's dependency graph. */
export function criticalPath(resources: readonly RecordedResource[]): CriticalPath {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const memo = new Map<string, CriticalPath>();
  const finish = (r: RecordedResource, seen: Set<string>): CriticalPath => {
    const hit = memo.get(r.urn);
    if (hit) return hit;
    if (seen.has(r.urn)) throw new Error(`dependency cycle through ${r.urn}`);
    seen.add(r.urn);
    let best: CriticalPath = { seconds: 0, chain: [] };
    for (const p of predecessors(r)) {
      const dep = byUrn.get(p);
      if (!dep) continue;
      const f = finish(dep, seen);
      if (f.seconds > best.seconds) best = f;
    }
    seen.delete(r.urn);
    const out = { seconds: best.seconds + createTime(r), chain: [...best.chain, r] };
    memo.set(r.urn, out);
    return out;
  };
  let worst: CriticalPath = { seconds: 0, chain: [] };
  for (const r of resources) {
    const f = finish(r, new Set());
    if (f.seconds > worst.seconds) worst = f;
  }
  return worst;
}

/** network -> control plane -> nodes: the chain no EKS or GKE stack can avoid (0 on a cluster you bring). */
export function unavoidableChain(resources: readonly RecordedResource[]): number {
  const has = (t: string) => resources.some((r) => r.type === t);
  if (has("aws:eks/cluster:Cluster")) {
    return (
      createSeconds["aws:ec2/vpc:Vpc"]! +
      createSeconds["aws:ec2/subnet:Subnet"]! +
      createSeconds["aws:eks/cluster:Cluster"]! +
      createSeconds["aws:eks/nodeGroup:NodeGroup"]!
    );
  }
  if (has("gcp:container/cluster:Cluster")) {
    return (
      createSeconds["gcp:compute/network:Network"]! +
      createSeconds["gcp:compute/subnetwork:Subnetwork"]! +
      createSeconds["gcp:container/cluster:Cluster"]! +
      createSeconds["gcp:container/nodePool:NodePool"]!
    );
  }
  return 0;
}

class Bare extends pulumi.CustomResource {
  constructor(name: string) {
    super("bench:index:Bare", name, {});
  }
}

/** Milliseconds of one synth of `program` (the median of `repeat` runs), and what it registered. */
async function time(program: () => unknown, repeat: number): Promise<{ ms: number; registered: number }> {
  const samples: number[] = [];
  let registered = 0;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const { resources } = await synth(program);
    samples.push(performance.now() - t0);
    registered = resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)]!, registered };
}

/** The engine floor: `n` bare custom resources under the same mock engine. */
function floor(n: number): () => void {
  return () => {
    for (let i = 0; i < n; i++) new Bare(`bare-${i}`);
  };
}

/** Least-squares slope of y on x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * (ys[i]! - my);
    den += (x - mx) ** 2;
  });
  return num / den;
}

const fmt = (n: number, d = 2) => n.toFixed(d);
const minutes = (s: number) => `${fmt(s / 60, 1)} min`;

async function namespaces(): Promise<void> {
  console.log("(a) CoderNamespace synth vs the engine floor (bare custom resources, same count)");
  console.log("    namespaces  resources  synth ms  floor ms  ratio");
  const counts = [1, 10, 100, 1000];
  const ns: number[] = [];
  const fl: number[] = [];
  for (const n of counts) {
    const repeat = n >= 1000 ? 1 : 3;
    const a = await time(() => {
      for (let i = 0; i < n; i++) new CoderNamespace(`ns-${i}`, {});
    }, repeat);
    const b = await time(floor(a.registered), repeat);
    ns.push(a.ms);
    fl.push(b.ms);
    console.log(
      `    ${String(n).padStart(10)}  ${String(a.registered).padStart(9)}  ${fmt(a.ms, 0).padStart(8)}  ${fmt(b.ms, 0).padStart(8)}  ${fmt(a.ms / b.ms)}x`,
    );
  }
  const logs = (v: readonly number[]) => v.map((x) => Math.log10(x));
  const k = slope(logs(counts.slice(1)), logs(ns.slice(1)));
  const kFloor = slope(logs(counts.slice(1)), logs(fl.slice(1)));
  const perNs = slope(counts, ns);
  const perNsFloor = slope(counts, fl);
  console.log(
    `    slope: ${fmt(perNs)} ms per namespace vs ${fmt(perNsFloor)} ms for its resources bare ` +
      `(${fmt(perNs / perNsFloor)}x); growth exponent ${fmt(k)} (floor ${fmt(kFloor)}; 1.00 is linear)`,
  );
}

async function stacks(): Promise<Map<StackName, RecordedResource[]>> {
  console.log("");
  console.log("(b) default stacks: synth vs the engine floor for the same resource count");
  console.log("    stack              resources  synth ms  floor ms  ratio");
  const recorded = new Map<StackName, RecordedResource[]>();
  for (const name of stackNames) {
    const a = await time(defaultStacks[name].program, 3);
    const b = await time(floor(a.registered), 3);
    recorded.set(name, (await synth(defaultStacks[name].program)).resources);
    console.log(
      `    ${name.padEnd(17)}  ${String(a.registered).padStart(9)}  ${fmt(a.ms, 0).padStart(8)}  ${fmt(b.ms, 0).padStart(8)}  ${fmt(a.ms / b.ms)}x`,
    );
  }
  return recorded;
}

function deployPaths(recorded: ReadonlyMap<StackName, RecordedResource[]>): void {
  console.log("");
  console.log("(c) deploy critical path (typical create times) vs network -> control plane -> nodes");
  for (const [name, resources] of recorded) {
    const cp = criticalPath(resources);
    const floorChain = unavoidableChain(resources);
    const steps = cp.chain.filter((r) => createTime(r) > 0).map((r) => `${r.type.split(":").pop()} ${createTime(r)}s`);
    const ratio =
      floorChain > 0 ? `${fmt(cp.seconds / floorChain)}x of ${minutes(floorChain)}` : "no cluster to create";
    console.log(`    ${name.padEnd(17)}  ${minutes(cp.seconds).padStart(9)}  (${ratio})`);
    console.log(`      ${steps.join(" -> ")}`);
  }
}

async function nightly(): Promise<void> {
  const runs = runCounts(true);
  console.log("");
  console.log(`nightly: ${runs.valid} valid and ${runs.invalid} invalid random stacks`);
  const t0 = performance.now();
  let resources = 0;
  await fc.assert(
    fc.asyncProperty(validStack, async (s) => {
      resources += await checkValidStack(s);
    }),
    { numRuns: runs.valid },
  );
  // A refused program leaves the Pulumi runtime's stack promises rejected after synth has returned:
  // expected here, counted rather than fatal (any other rejection still ends the run).
  expectRefusals = true;
  await fc.assert(fc.asyncProperty(invalidStack, checkInvalidStack), { numRuns: runs.invalid });
  console.log(
    `    all ${runs.valid} valid stacks synthesised and passed the pack (${resources} resources); ` +
      `all ${runs.invalid} invalid ones refused naming the field (${minutes((performance.now() - t0) / 1000)})`,
  );
}

let expectRefusals = false;
let refusals = 0;
process.on("unhandledRejection", (reason: unknown) => {
  if (expectRefusals) {
    refusals++;
    return;
  }
  console.error("unhandled rejection:", reason);
  process.exit(1);
});

async function main(): Promise<void> {
  const isNightly = process.argv.includes("--nightly") || process.env.HC_BENCH_NIGHTLY === "1";
  await namespaces();
  const recorded = await stacks();
  deployPaths(recorded);
  if (isNightly) {
    await nightly();
    // Let the refused programs' leftover rejections arrive before reporting them.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    console.log(`    (${refusals} runtime rejections left behind by refused programs, as expected)`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
