import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { recommendations } from "@hardened-coder/kubernetes";
import {
  policies,
  policyNames,
  policyPackConfig,
  policySettings,
  resolveSettings,
  rules,
} from "@hardened-coder/policy";
import { fixture, runPack, runPolicy } from "./harness/policy";

const enforceable = recommendations.filter((r) => r.enforcement !== "documented").map((r) => r.id);
const policyDir = join(__dirname, "..", "packages", "policy");

describe("policy pack: one policy per enforceable recommendation", () => {
  it("names every policy after a catalog id, and has a policy for every enforceable id", () => {
    const names = policies.map((p) => p.name);
    assert.deepEqual([...names].sort(), [...enforceable].sort());
    assert.deepEqual([...policyNames], names);
    assert.equal(new Set(names).size, names.length, "policy names are unique");
    for (const documented of recommendations.filter((r) => r.enforcement === "documented")) {
      assert.ok(!names.includes(documented.id), `${documented.id} is a documented duty, not a policy`);
    }
  });

  it("makes every policy mandatory, described from the catalog, with remediation steps", () => {
    for (const p of policies) {
      const rec = recommendations.find((r) => r.id === p.name)!;
      assert.equal(p.enforcementLevel, "mandatory", p.name);
      assert.ok(p.description.startsWith(rec.text), `${p.name}: description starts with the seed's words`);
      assert.ok((p.remediationSteps ?? "").length > 40, `${p.name}: remediation steps`);
      assert.ok("validateResource" in p || "validateStack" in p, p.name);
    }
  });

  it("declares in each policy's config schema exactly the settings its check reads", () => {
    for (const p of policies) {
      const declared = Object.keys(p.configSchema?.properties ?? {}).sort();
      assert.ok(!declared.includes("enforcementLevel"), "the SDK reserves enforcementLevel");
      assert.deepEqual(declared, [...policySettings[p.name]!].sort(), p.name);
    }
    assert.deepEqual(
      Object.keys(policies.find((p) => p.name === "registry-approved-images")!.configSchema!.properties).sort(),
      ["approvedImagePrefixes", "workspaceNamespaceLabel", "workspaceNamespaces"],
    );
  });

  it("writes --policy-pack-config: settings into the policies that read them, levels per policy", () => {
    const config = policyPackConfig(
      { approvedImagePrefixes: ["registry.example.com/coder/"], workspaceNamespaces: ["dev"] },
      { "node-upgrades": "advisory" },
    );
    assert.deepEqual(config["registry-approved-images"], {
      approvedImagePrefixes: ["registry.example.com/coder/"],
      workspaceNamespaces: ["dev"],
    });
    assert.deepEqual(config["node-upgrades"], { enforcementLevel: "advisory" });
    assert.equal(config["roles-cluster-admins"], undefined, "a policy reading no setting gets no entry");
    assert.equal(policyPackConfig({}, { all: "advisory" }).all, "advisory");
    assert.throws(
      () => policyPackConfig({}, { "no-such-policy": "advisory" } as never),
      /no-such-policy.*not a policy/,
    );
    assert.throws(() => policyPackConfig({ minimumKubernetesVersion: "latest" }), /minimumKubernetesVersion/);
  });

  it("refuses malformed settings with an error naming the setting", () => {
    assert.throws(() => resolveSettings({ approvedImagePrefixes: "registry.example.com/" }), /approvedImagePrefixes/);
    assert.throws(
      () => resolveSettings({ coderdServiceAccounts: ["coder"] }),
      /coderdServiceAccounts.*namespace\/name/,
    );
    assert.throws(() => resolveSettings({ workspaceNamespaceLabel: "no-equals" }), /workspaceNamespaceLabel/);
    assert.equal(resolveSettings({}).minimumKubernetesVersion, "1.34");
  });

  it("downgrades one policy to advisory through config, leaving the others mandatory", async () => {
    const cluster = fixture("aws:eks/cluster:Cluster", "open", {
      name: "open",
      vpcConfig: { subnetIds: ["subnet-1"], endpointPublicAccess: true },
    });
    const config = policyPackConfig({}, { "roles-control-plane-access": "advisory" });
    const violations = await runPack([cluster], config);
    const levels = new Map(violations.map((v) => [v.policy, v.enforcementLevel]));
    assert.equal(levels.get("roles-control-plane-access"), "advisory");
    assert.equal(levels.get("storage-encryption"), "mandatory");
    const disabled = await runPolicy(
      policies.find((p) => p.name === "storage-encryption")!,
      [cluster],
      policyPackConfig({}, { "storage-encryption": "disabled" }),
    );
    assert.deepEqual(disabled, []);
  });

  it("has as many rules as policies, and every rule guards named resource types", () => {
    assert.equal(rules.length, policies.length);
    for (const r of rules) assert.ok(r.guards.length > 0, r.id);
  });
});

/** Starts a Node process and resolves with its first stdout line (the pack prints its port). */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => reject(new Error(`exited ${code} before printing: ${err}`)));
  });
}

interface GrpcModule {
  credentials: { createInsecure(): unknown };
}
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/proto/analyzer_pb"));
const grpc = pulumiRequire("@grpc/grpc-js") as GrpcModule;
const { Empty } = pulumiRequire("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };
const { Struct } = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as {
  Struct: {
    fromJavaScript(
      v: Record<string, unknown>,
    ): analyzerPb.AnalyzeRequest["getProperties"] extends () => infer S ? NonNullable<S> : never;
  };
};

function call<Req, Res>(fn: (req: Req, cb: (err: Error | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

describe("policy pack: the PulumiPolicy.yaml entry point, spoken to as the Pulumi CLI does", function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  let client: analyzerGrpc.AnalyzerClient;

  before(async () => {
    child = spawn(process.execPath, ["--conditions=hc-source", "--import", "tsx", "src/pack.ts"], {
      cwd: policyDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await firstLine(child);
    assert.match(port, /^\d+$/, "the pack prints its gRPC port, as the CLI expects");
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure() as never);
  });
  after(() => {
    client?.close();
    if (child?.pid !== undefined) process.kill(child.pid);
  });

  it("serves the 25 policies under their catalog ids, mandatory, with their config schemas", async () => {
    const info = await call<unknown, analyzerPb.AnalyzerInfo>(
      (req, cb) => client.getAnalyzerInfo(req as never, cb as never),
      new Empty(),
    );
    assert.equal(info.getName(), "hardened-coder");
    const served = info.getPoliciesList();
    assert.deepEqual(served.map((p) => p.getName()).sort(), [...enforceable].sort());
    for (const p of served) assert.equal(p.getEnforcementlevel(), analyzerPb.EnforcementLevel.MANDATORY, p.getName());
    const images = served.find((p) => p.getName() === "registry-approved-images")!;
    assert.ok(images.getConfigschema()?.getProperties()?.toJavaScript().approvedImagePrefixes);
  });

  it("applies a per-policy advisory downgrade from the engine's config", async () => {
    const configure = new analyzerPb.ConfigureAnalyzerRequest();
    const advisory = new analyzerPb.PolicyConfig();
    advisory.setEnforcementlevel(analyzerPb.EnforcementLevel.ADVISORY);
    advisory.setProperties(Struct.fromJavaScript({}));
    configure.getPolicyconfigMap().set("roles-control-plane-access", advisory);
    await call((req, cb) => client.configure(req as never, cb as never), configure);

    const req = new analyzerPb.AnalyzeRequest();
    req.setType("aws:eks/cluster:Cluster");
    req.setName("open");
    req.setUrn("urn:pulumi:dev::coder::aws:eks/cluster:Cluster::open");
    req.setProperties(
      Struct.fromJavaScript({ name: "open", vpcConfig: { subnetIds: ["subnet-1"], endpointPublicAccess: true } }),
    );
    req.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const res = await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(
      (r, cb) => client.analyze(r, cb as never),
      req,
    );
    const levels = new Map(res.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getEnforcementlevel()]));
    assert.equal(levels.get("roles-control-plane-access"), analyzerPb.EnforcementLevel.ADVISORY);
    assert.equal(levels.get("storage-encryption"), analyzerPb.EnforcementLevel.MANDATORY);
    const msg = res
      .getDiagnosticsList()
      .find((d) => d.getPolicyname() === "roles-control-plane-access")!
      .getMessage();
    assert.match(msg, /endpointPublicAccess/);
  });
});

describe("policy pack: started the way the Pulumi CLI starts a Node.js pack", function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;
  after(() => {
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid);
  });

  it("serves the pack from `run-policy-pack <engine> .` in the package directory (built dist)", async () => {
    // The CLI runs @pulumi/pulumi/cmd/run-policy-pack with the pack directory as its working
    // directory and "." as the program, so Node loads package.json `main`, not PulumiPolicy.yaml's.
    const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [policyDir] });
    child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], {
      cwd: policyDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    assert.match(await firstLine(child), /^\d+$/, "the pack printed its gRPC port");
  });
});

describe("policy pack: the data module starts nothing", () => {
  it("loads no part of the policy SDK's server when @hardened-coder/policy is imported", () => {
    // Importing the policies only needs their types from @pulumi/policy; the SDK's server module,
    // which a PolicyPack starts, must not even be loaded (pack.ts alone constructs the pack).
    // (The test harness loads the SDK's side-effect-free proxy.js, for preview runs.)
    const loaded = Object.keys(require.cache).filter(
      (k) => /[\\/]@pulumi[\\/]policy[\\/]/.test(k) && !/[\\/]@pulumi[\\/]policy[\\/]proxy\.js$/.test(k),
    );
    assert.ok(policies.length > 0);
    assert.deepEqual(loaded, []);
  });
});
