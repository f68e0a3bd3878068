import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { isSecretAt, plainStrings, synth, synthApplyFailures } from "./harness/engine";
import { validateKubernetesObject } from "./harness/validate";

describe("test harness: mock engine recorder", () => {
  it("records custom and component resources with parents, and keeps secrets wrapped", async () => {
    class Box extends pulumi.ComponentResource {
      constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
        super("test:index:Box", name, {}, opts);
        new k8s.core.v1.Secret(
          `${name}-s`,
          { metadata: { name: "s" }, stringData: { k: pulumi.secret("hunter2") } },
          { parent: this },
        );
        this.registerOutputs();
      }
    }
    const { resources } = await synth(() => {
      new Box("b");
    });
    const box = resources.find((r) => r.type === "test:index:Box")!;
    const secret = resources.find((r) => r.type === "kubernetes:core/v1:Secret")!;
    assert.equal(secret.parent, box.urn);
    assert.equal(secret.inputs.stringData && (secret.inputs.stringData as Record<string, string>).k, "hunter2");
    assert.ok(isSecretAt(secret.rawInputs, "stringData.k"));
    assert.ok(!plainStrings(secret.rawInputs).includes("hunter2"));
  });

  it("fails a program that makes an invoke outside the allow-list", async () => {
    await assert.rejects(
      synth(async () => {
        await pulumi.runtime.invoke("aws:ec2/getAmi:getAmi", {});
      }),
      /not allowed offline/,
    );
  });
});

describe("test harness: kubernetes-models validation", () => {
  it("accepts a valid object and rejects a malformed one", async () => {
    await validateKubernetesObject("kubernetes:core/v1:Namespace", { metadata: { name: "ok" } });
    await assert.rejects(
      validateKubernetesObject("kubernetes:core/v1:ResourceQuota", { metadata: { name: "q" }, spec: { hard: 5 } }),
      /not schema-valid/,
    );
  });

  it("holds a server-side-apply patch to its object's schema, less the required fields", async () => {
    await validateKubernetesObject("kubernetes:apps/v1:DeploymentPatch", {
      metadata: { name: "d" },
      spec: { replicas: 2 },
    });
    await assert.rejects(
      validateKubernetesObject("kubernetes:apps/v1:DeploymentPatch", {
        metadata: { name: "d" },
        spec: { replicas: "two" },
      }),
      /spec\/replicas must be integer/,
    );
  });
});

describe("test harness: errors inside apply", () => {
  const program = () => {
    const name = pulumi.output("x").apply((): string => {
      throw new Error("refused inside apply");
    });
    new k8s.core.v1.Namespace("n", { metadata: { name } });
  };

  it("fails the run, as a real pulumi up would", async () => {
    await assert.rejects(synth(program), /errors inside apply[\s\S]*refused inside apply/);
  });

  it("returns them with expectApplyFailures, registering nothing that waited on the value", async () => {
    const { failures, resources } = await synthApplyFailures(program);
    assert.ok(failures.some((f) => /refused inside apply/.test(f)));
    assert.ok(!resources.some((r) => r.type === "kubernetes:core/v1:Namespace"));
  });
});
