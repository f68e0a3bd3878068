import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import * as hc from "@hardened-coder/kubernetes";
import {
  RegistryPullAccount,
  type RegistryPullAccountArgs,
  type RegistryPullAccountPlainArgs,
  dockerConfigJson,
  resolveRegistryPullAccountArgs,
} from "@hardened-coder/kubernetes";
import {
  type RecordedResource,
  at,
  isSecretAt,
  one,
  ofType,
  plainStrings,
  synth,
  valueOf,
  synthApplyFailures,
} from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const SECRET = "kubernetes:core/v1:Secret";
const SA = "kubernetes:core/v1:ServiceAccount";
const SA_PATCH = "kubernetes:core/v1:ServiceAccountPatch";
const TOKEN = "hardened-coder:kubernetes:RegistryPullAccount";
const PASSWORD = "s3cret-Pull-Token!";

const base: RegistryPullAccountPlainArgs = {
  namespace: "coder",
  server: "registry.example.com",
  username: "coder-pull",
  password: PASSWORD,
};

/** Every plain (not secret-wrapped) string any resource sent to the engine. */
const allPlainStrings = (resources: readonly RecordedResource[]) => resources.flatMap((r) => plainStrings(r.rawInputs));

describe("RegistryPullAccount: resolveRegistryPullAccountArgs (pure)", () => {
  it("defaults the Secret name from the resource and the account to the workspace ServiceAccount", () => {
    assert.deepEqual(resolveRegistryPullAccountArgs(base, "coder"), {
      namespace: "coder",
      server: "registry.example.com",
      username: "coder-pull",
      serviceAccountName: "coder-workspace",
      secretName: "coder-registry-pull",
    });
  });

  it("builds a dockerconfigjson the kubelet reads: auths[server] with username, password and auth", () => {
    const config = resolveRegistryPullAccountArgs({ ...base, email: "ops@example.com" }, "coder");
    const json = JSON.parse(dockerConfigJson(config, PASSWORD)) as {
      auths: Record<string, { username: string; password: string; auth: string; email?: string }>;
    };
    assert.deepEqual(Object.keys(json.auths), ["registry.example.com"]);
    const entry = json.auths["registry.example.com"]!;
    assert.equal(entry.username, "coder-pull");
    assert.equal(entry.password, PASSWORD);
    assert.equal(Buffer.from(entry.auth, "base64").toString("utf8"), `coder-pull:${PASSWORD}`);
    assert.equal(entry.email, "ops@example.com");
  });

  it("accepts hosts with ports and repository path prefixes", () => {
    for (const server of [
      "registry.example.com:5000",
      "registry.example.com/coder/images",
      "10.0.0.5:5000",
      "localhost",
    ]) {
      assert.equal(resolveRegistryPullAccountArgs({ ...base, server }).server, server);
    }
  });

  it("refuses bad input, naming the field and never echoing the password", () => {
    const cases: [Partial<RegistryPullAccountPlainArgs>, RegExp][] = [
      [{ server: "https://registry.example.com" }, /^Error: server: .* has a scheme; .* use "registry\.example\.com"/],
      [{ server: "registry.example.com/" }, /^Error: server: "registry\.example\.com\/" is not a registry host/],
      [{ server: "Registry.Example.com" }, /^Error: server/],
      [{ server: "registry.example.com:70000" }, /^Error: server/],
      [{ server: "registry.example.com?x=1" }, /^Error: server/],
      [{ server: "registry example.com" }, /^Error: server/],
      [{ server: "" }, /^Error: server/],
      [{ username: "" }, /^Error: username: empty/],
      [{ username: "   " }, /^Error: username: empty/],
      [{ username: "coder:pull" }, /^Error: username: "coder:pull" contains ':'/],
      [{ password: "" }, /^Error: password: empty/],
      [{ email: "not-an-email" }, /^Error: email/],
      [{ namespace: "Coder" }, /^Error: namespace/],
      [{ serviceAccountName: "default" }, /^Error: serviceAccountName: "default" is every pod's account/],
      [{ serviceAccountName: "Bad_Name" }, /^Error: serviceAccountName/],
      [{ secretName: "Bad_Name" }, /^Error: secretName/],
    ];
    for (const [args, pattern] of cases) {
      assert.throws(
        () => resolveRegistryPullAccountArgs({ ...base, ...args }, "coder"),
        (err: Error) => pattern.test(`Error: ${err.message}`) && !err.message.includes(PASSWORD),
        JSON.stringify(args),
      );
    }
    assert.throws(() => resolveRegistryPullAccountArgs(base, "Coder Pull"), /^Error: name: "Coder Pull"/);
  });

  it("property: any valid credential round-trips through auth, and the config never holds the password", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
        fc.string({ minLength: 1, maxLength: 40 }),
        (username, password) => {
          const config = resolveRegistryPullAccountArgs({ ...base, username, password });
          assert.ok(!("password" in config));
          const auth = (JSON.parse(dockerConfigJson(config, password)) as { auths: Record<string, { auth: string }> })
            .auths["registry.example.com"]!.auth;
          assert.equal(Buffer.from(auth, "base64").toString("utf8"), `${username}:${password}`);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("RegistryPullAccount: the design's snippet under the mock engine", () => {
  let resources: RecordedResource[];
  let ns: hc.CoderNamespace;
  let registry: hc.RegistryPullAccount;

  before(async () => {
    ({ resources } = await synth(() => {
      // Exactly as design.md writes it (password value aside).
      ns = new hc.CoderNamespace("coder", {});
      new hc.WorkspaceNetworkPolicy("coder", { namespace: ns.namespaceName });
      registry = new hc.RegistryPullAccount("coder", {
        namespace: ns.namespaceName,
        server: "registry.example.com",
        username: "coder-pull",
        password: pulumi.secret(PASSWORD),
      });
    }));
  });

  it("emits only schema-valid Kubernetes objects", async () => {
    assert.equal(await validateAllKubernetesObjects(resources), resources.filter((r) => r.custom).length);
  });

  it("has no colliding names: unique URNs, unique child names, one owner per Kubernetes object", () => {
    assert.equal(new Set(resources.map((r) => r.urn)).size, resources.length);
    const children = resources.filter((r) => r.custom);
    assert.equal(new Set(children.map((r) => r.name)).size, children.length);
    const owned = children
      .filter((r) => !r.type.endsWith("Patch"))
      .map((r) => `${r.type} ${String(at(r.inputs, "metadata.namespace"))}/${String(at(r.inputs, "metadata.name"))}`);
    assert.equal(new Set(owned).size, owned.length, owned.join("\n"));
    for (const r of children) assert.match(r.name, /^coder-/);
  });

  it("creates a kubernetes.io/dockerconfigjson Secret whose content is a Pulumi secret", () => {
    const secret = one(resources, SECRET);
    assert.equal(secret.inputs.type, "kubernetes.io/dockerconfigjson");
    assert.equal(at(secret.inputs, "metadata.name"), "coder-registry-pull");
    assert.equal(at(secret.inputs, "metadata.namespace"), "coder");
    const stringData = secret.rawInputs.stringData as Record<string, unknown>;
    assert.ok(
      isSecretAt(secret.rawInputs, "stringData") || isSecretAt({ content: stringData[".dockerconfigjson"] }, "content"),
    );
    const content = (secret.inputs.stringData as Record<string, string>)[".dockerconfigjson"]!;
    const auth = (JSON.parse(content) as { auths: Record<string, { auth: string }> }).auths["registry.example.com"]!;
    assert.equal(Buffer.from(auth.auth, "base64").toString("utf8"), `coder-pull:${PASSWORD}`);
    assert.ok(secret.additionalSecretOutputs.includes("data"));
    assert.ok(secret.additionalSecretOutputs.includes("stringData"));
  });

  it("never puts the credential in plain state, in any resource", () => {
    const auth = Buffer.from(`coder-pull:${PASSWORD}`).toString("base64");
    for (const s of allPlainStrings(resources)) {
      assert.ok(!s.includes(PASSWORD), "password in plain state");
      assert.ok(!s.includes(auth), "auth in plain state");
    }
  });

  it("attaches the Secret to the workspace ServiceAccount as its only image pull secret, through a patch", () => {
    const patch = one(resources, SA_PATCH, "coder-pull-sa");
    assert.equal(at(patch.inputs, "metadata.name"), "coder-workspace");
    assert.equal(at(patch.inputs, "metadata.namespace"), "coder");
    assert.deepEqual(patch.inputs.imagePullSecrets, [{ name: "coder-registry-pull" }]);
    assert.equal(patch.inputs.automountServiceAccountToken, false);
    // The account it patches is the one CoderNamespace owns, and the patch waits for it and the Secret.
    const account = one(resources, SA, "coder-workspace-sa");
    assert.equal(at(account.inputs, "metadata.name"), "coder-workspace");
    assert.equal(account.inputs.imagePullSecrets, undefined);
    assert.ok(patch.dependencies.includes(account.urn));
    assert.ok(patch.dependencies.includes(one(resources, SECRET).urn));
  });

  it("parents its children to the component and exposes the names", async () => {
    const component = one(resources, TOKEN);
    assert.deepEqual(
      resources
        .filter((r) => r.parent === component.urn)
        .map((r) => r.type)
        .sort(),
      [SECRET, SA_PATCH],
    );
    assert.equal(await valueOf(registry.secretName), "coder-registry-pull");
    assert.equal(await valueOf(registry.serviceAccountName), "coder-workspace");
    assert.equal(await valueOf(ns.workspaceServiceAccountName), "coder-workspace");
  });
});

describe("RegistryPullAccount: refused input", () => {
  it("registers nothing when the constructor refuses input", async () => {
    const { resources } = await synth(() => {
      const bad: RegistryPullAccountArgs[] = [
        { ...base, server: "https://registry.example.com" },
        { ...base, username: "" },
        { ...base, password: pulumi.secret(PASSWORD), serviceAccountName: "default" },
        { ...base, namespace: pulumi.output("coder"), secretName: "Bad" },
      ];
      for (const args of bad) assert.throws(() => new RegistryPullAccount("bad", args));
    });
    assert.deepEqual(
      resources.map((r) => r.type),
      ["pulumi:pulumi:Stack"],
    );
  });

  it("checks a server that arrives as an Output with the same rules, without leaking the password", async () => {
    const run = await synthApplyFailures(() => {
      new RegistryPullAccount("coder", {
        namespace: "coder",
        server: pulumi.output("https://registry.example.com"),
        username: "coder-pull",
        password: pulumi.secret(PASSWORD),
      });
    });
    assert.ok(
      run.failures.some((f) => /server: "https:\/\/registry\.example\.com" has a scheme/.test(f)),
      run.failures.join("\n"),
    );
    assert.ok(!run.failures.some((f) => f.includes(PASSWORD)));
    assert.deepEqual(ofType(run.resources, SECRET), []);
  });

  it("keeps a plain-string password secret too", async () => {
    const { resources } = await synth(() => {
      new RegistryPullAccount("plain", { ...base, serviceAccountName: pulumi.output("builders") });
    });
    for (const s of allPlainStrings(resources)) assert.ok(!s.includes(PASSWORD));
    assert.equal(at(one(resources, SA_PATCH).inputs, "metadata.name"), "builders");
    await validateAllKubernetesObjects(resources);
  });
});
