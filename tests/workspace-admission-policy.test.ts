import assert from "node:assert/strict";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import {
  WorkspaceAdmissionPolicy,
  type WorkspaceAdmissionPolicySpec,
  admissionValidations,
  celStringLiteral,
  isNormalisedImagePrefix,
  normaliseApprovedImage,
  resolveWorkspaceAdmissionPolicyArgs,
  workspaceAdmissionPolicySpec,
} from "@hardened-coder/kubernetes";
import { type RecordedResource, one, synth, valueOf, synthApplyFailures } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";
import {
  type CelPolicySpec,
  admit,
  celFunctionsUsed,
  evaluateCel,
  fromCel,
  matchesRequest,
  standardCelFunctions,
} from "./harness/cel";

const TOKEN = "hardened-coder:kubernetes:WorkspaceAdmissionPolicy";
const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
const VAPB = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";
const REG = "registry.example.com";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const OK = `${REG}/coder/base:ubuntu`;
const OK_PINNED = `${REG}/coder/base@${DIGEST}`;

const config = (approvedImages: string[] = [`${REG}/coder`], requireDigest = false) =>
  resolveWorkspaceAdmissionPolicyArgs({ namespace: "coder", approvedImages, requireDigest }, "coder");
const specOf = (approvedImages?: string[], requireDigest?: boolean) =>
  workspaceAdmissionPolicySpec(config(approvedImages, requireDigest));

type Json = Record<string, unknown>;
type ContainerList = "containers" | "initContainers" | "ephemeralContainers";
const containerLists: readonly ContainerList[] = ["containers", "initContainers", "ephemeralContainers"];

/** A pod that meets every rule: the shape of Coder's template plus what `restricted` asks for. */
function pod(spec: Json = {}, image = OK): Json {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "coder-alice-dev", namespace: "coder" },
    spec: {
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        fsGroup: 1000,
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [
        {
          name: "dev",
          image,
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
          ports: [{ containerPort: 13337 }],
          volumeMounts: [{ name: "home", mountPath: "/home/coder" }],
        },
      ],
      volumes: [{ name: "home", persistentVolumeClaim: { claimName: "coder-alice-dev-home" } }],
      ...spec,
    },
  };
}

/** The pod with one container added to `list` (to the front, so each list is exercised). */
function withContainer(list: ContainerList, container: Json, base: Json = pod()): Json {
  const spec = base.spec as Json;
  const existing = (spec[list] as Json[] | undefined) ?? [];
  return { ...base, spec: { ...spec, [list]: [{ name: `extra-${list}`, image: OK, ...container }, ...existing] } };
}

/** Rule ids that refuse `object` (message prefixes), in order. */
function refusedBy(spec: CelPolicySpec, object: Json, oldObject?: Json): string[] {
  const verdict = admit(spec, { object, oldObject });
  return verdict.denials.map((d) => d.message.split(":")[0]!);
}

function workload(kind: string, apiVersion: string, podSpec: Json): Json {
  const template = { metadata: { labels: { app: "ws" } }, spec: podSpec };
  const spec =
    kind === "CronJob"
      ? { schedule: "@daily", jobTemplate: { spec: { template } } }
      : { selector: { matchLabels: { app: "ws" } }, template };
  return { apiVersion, kind, metadata: { name: "ws", namespace: "coder" }, spec };
}

describe("approved image prefixes (pure)", () => {
  it("keeps prefixes that end at a boundary, and exact digest references", () => {
    for (const p of [
      `${REG}/`,
      `${REG}/coder/`,
      `${REG}/coder/base:`,
      `${REG}/coder/base@`,
      `${REG}:5000/coder/`,
      OK_PINNED,
    ]) {
      assert.deepEqual(normaliseApprovedImage(p), [p]);
    }
    assert.deepEqual(normaliseApprovedImage(`localhost:5000/coder/`), ["localhost:5000/coder/"]);
  });

  it("normalises a bare repository to its three boundaries, so .../coder never admits .../coder-evil", () => {
    assert.deepEqual(normaliseApprovedImage(`${REG}/coder`), [`${REG}/coder/`, `${REG}/coder:`, `${REG}/coder@`]);
    assert.deepEqual(normaliseApprovedImage(REG), [`${REG}/`]);
    assert.deepEqual(normaliseApprovedImage(`${REG}:5000`), [`${REG}:5000/`]);
    const ecr = "123456789012.dkr.ecr.us-west-2.amazonaws.com/coder-workspace";
    assert.deepEqual(normaliseApprovedImage(ecr), [`${ecr}/`, `${ecr}:`, `${ecr}@`]);
  });

  it("refuses a tag, which as a prefix would admit any longer tag", () => {
    assert.throws(
      () => normaliseApprovedImage(`${REG}/coder/base:1.0`, "approvedImages[2]"),
      /approvedImages\[2\]: "registry\.example\.com\/coder\/base:1\.0" is a tag.*"registry\.example\.com\/coder\/base:"/,
    );
  });

  it("refuses names without a registry host, suggesting the fully qualified name", () => {
    assert.throws(
      () => normaliseApprovedImage("ubuntu"),
      /approvedImages: "ubuntu" does not start with a registry host.*"docker\.io\/library\/ubuntu"/,
    );
    assert.throws(() => normaliseApprovedImage("coder/"), /"docker\.io\/coder\/"/);
  });

  it("refuses anything that is not an image prefix, quotes and backslashes included", () => {
    for (const bad of [
      "",
      " ",
      `${REG}/Coder/`,
      `${REG}/coder//`,
      `${REG}:`,
      `${REG}/co'der/`,
      `${REG}/co\\der/`,
      `${REG}/coder/' + 'x`,
      `${REG}/coder/\n`,
      ` ${REG}/coder/`,
      `${REG}/coder/*`,
      `${REG}/coder@sha256:abc`,
      "https://registry.example.com/coder/",
    ]) {
      assert.throws(
        () => normaliseApprovedImage(bad, "approvedImages[0]"),
        /^Error: approvedImages\[0\]: /,
        JSON.stringify(bad),
      );
    }
    assert.throws(() => normaliseApprovedImage(42), /^Error: approvedImages: 42 is not an image prefix/);
  });

  it("only ever yields normalised prefixes, free of quotes and backslashes (random input)", () => {
    const alphabet = fc.constantFrom(..."abcz09-._/:@'\"\\ A".split(""));
    const candidate = fc.oneof(
      fc.string({ unit: alphabet, maxLength: 30 }).map((s) => `${REG}/${s}`),
      fc.string({ unit: alphabet, maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 20 }),
    );
    fc.assert(
      fc.property(candidate, (entry) => {
        let out: string[];
        try {
          out = normaliseApprovedImage(entry);
        } catch (err) {
          assert.match((err as Error).message, /^approvedImages: /);
          return;
        }
        for (const p of out) {
          assert.ok(isNormalisedImagePrefix(p), p);
          assert.ok(!/['"\\\s]/.test(p), p);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("quotes any text as a CEL string literal that evaluates back to the same text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: "binary-ascii" })), (text) => {
        assert.equal(evaluateCel(celStringLiteral(text), {}), text);
      }),
      { numRuns: 300 },
    );
    assert.equal(celStringLiteral(`a'b"c\\d`), `'a\\'b\\"c\\\\d'`);
    assert.throws(() => celStringLiteral("\ud800"), /lone surrogate/);
  });
});

describe("resolveWorkspaceAdmissionPolicyArgs (pure)", () => {
  it("fills defaults: name <resource>-workspaces, no digest requirement, normalised deduplicated list", () => {
    const c = resolveWorkspaceAdmissionPolicyArgs(
      { namespace: "coder", approvedImages: [`${REG}/coder`, `${REG}/coder/`, `${REG}/coder:`] },
      "coder",
    );
    assert.equal(c.name, "coder-workspaces");
    assert.equal(c.namespace, "coder");
    assert.equal(c.requireDigest, false);
    assert.deepEqual(c.approvedImages, [`${REG}/coder/`, `${REG}/coder:`, `${REG}/coder@`]);
  });

  it("refuses an empty approved list, naming approvedImages and the fix", () => {
    assert.throws(
      () => resolveWorkspaceAdmissionPolicyArgs({ namespace: "coder", approvedImages: [] }, "coder"),
      /^Error: approvedImages: the list is empty, so no workspace could start; name at least one registry prefix/,
    );
    assert.throws(
      () =>
        resolveWorkspaceAdmissionPolicyArgs(
          { namespace: "coder", approvedImages: `${REG}/` as unknown as string[] },
          "coder",
        ),
      /^Error: approvedImages: .* is not a list/,
    );
  });

  it("names the index of a bad prefix", () => {
    assert.throws(
      () =>
        resolveWorkspaceAdmissionPolicyArgs({ namespace: "coder", approvedImages: [`${REG}/ok/`, "ubuntu"] }, "coder"),
      /^Error: approvedImages\[1\]: "ubuntu"/,
    );
  });

  it("refuses a bad namespace, name or requireDigest, naming each", () => {
    const ok = { namespace: "coder", approvedImages: [`${REG}/`] };
    assert.throws(
      () => resolveWorkspaceAdmissionPolicyArgs({ ...ok, namespace: "Coder" }, "c"),
      /^Error: namespace: "Coder"/,
    );
    assert.throws(
      () => resolveWorkspaceAdmissionPolicyArgs({ ...ok, name: "Bad_Name" }, "c"),
      /^Error: name: "Bad_Name"/,
    );
    assert.throws(
      () => resolveWorkspaceAdmissionPolicyArgs(ok, "Coder"),
      /^Error: name: "Coder-workspaces".*pass name/,
    );
    assert.throws(
      () => resolveWorkspaceAdmissionPolicyArgs({ ...ok, requireDigest: "yes" as unknown as boolean }, "c"),
      /^Error: requireDigest: "yes"/,
    );
  });

  it("refuses, in the spec builder too, prefixes that did not come through resolve", () => {
    assert.throws(
      () => admissionValidations({ approvedImages: ["x' || true || '"], requireDigest: false }),
      /approvedImages/,
    );
    assert.throws(
      () => workspaceAdmissionPolicySpec({ approvedImages: [`${REG}/coder`], requireDigest: false }),
      /not normalised/,
    );
  });
});

describe("the policy spec (pure)", () => {
  const spec = specOf();

  it("fails closed and matches pods, kubectl debug's subresource and pod-template workloads on CREATE and UPDATE", () => {
    assert.equal(spec.failurePolicy, "Fail");
    const rules = spec.matchConstraints.resourceRules;
    for (const [group, resource] of [
      ["", "pods"],
      ["", "pods/ephemeralcontainers"],
      ["", "replicationcontrollers"],
      ["apps", "deployments"],
      ["apps", "replicasets"],
      ["apps", "statefulsets"],
      ["apps", "daemonsets"],
      ["batch", "jobs"],
      ["batch", "cronjobs"],
    ] as const) {
      for (const operation of ["CREATE", "UPDATE"]) {
        assert.ok(
          matchesRequest(rules, { group, version: "v1", resource, operation }),
          `${group}/${resource} ${operation}`,
        );
      }
    }
    assert.ok(!matchesRequest(rules, { group: "", version: "v1", resource: "pods/status", operation: "UPDATE" }));
    assert.ok(!matchesRequest(rules, { group: "", version: "v1", resource: "pods", operation: "DELETE" }));
  });

  it("has one validation per rule, each with a message naming it and the Forbidden reason", () => {
    const rules = admissionValidations(config([`${REG}/coder`], true)).map((v) => v.rule);
    assert.deepEqual(rules, [
      "approved-images",
      "image-digest",
      "no-privileged",
      "no-privilege-escalation",
      "no-added-capabilities",
      "no-host-network",
      "no-host-pid",
      "no-host-ipc",
      "no-host-path",
      "no-host-ports",
    ]);
    for (const v of admissionValidations(config([`${REG}/coder`], true))) {
      assert.ok(v.message.startsWith(`${v.rule}: `));
      assert.ok(!/[\r\n]/.test(v.message), "Kubernetes refuses messages with line breaks");
      assert.equal(v.reason, "Forbidden");
    }
    assert.ok(!admissionValidations(config()).some((v) => v.rule === "image-digest"), "digest only when required");
  });

  it("uses only standard CEL (which Kubernetes has), and every expression parses", () => {
    const withDigest = specOf([`${REG}/coder`, `${REG}:5000/team/`], true);
    const expressions = [...withDigest.matchConditions, ...withDigest.variables, ...withDigest.validations];
    assert.equal(expressions.length, 1 + 3 + 10);
    for (const { expression } of expressions) {
      for (const fn of celFunctionsUsed(expression)) {
        assert.ok(standardCelFunctions.has(fn), `${fn} in ${expression}`);
      }
    }
  });

  it("embeds the approved prefixes as a CEL list that evaluates to exactly the normalised list", () => {
    const c = config([`${REG}/coder`, "localhost:5000/x/"]);
    const variable = workspaceAdmissionPolicySpec(c).variables.find((v) => v.name === "approvedPrefixes")!;
    assert.deepEqual(fromCel(evaluateCel(variable.expression, {})), c.approvedImages);
  });
});

describe("the policy's CEL, evaluated with @bufbuild/cel", () => {
  const spec = specOf([`${REG}/coder`]);
  const pinned = specOf([`${REG}/coder`], true);

  describe("admits", () => {
    it("a workspace pod with approved images in every container list", () => {
      let p = pod();
      for (const list of containerLists) p = withContainer(list, { image: `${REG}/coder/tools:1.2` }, p);
      assert.deepEqual(admit(spec, { object: p }).denials, []);
    });

    it("explicitly safe settings: privileged false, host namespaces false, NET_BIND_SERVICE, hostPort 0, emptyDir", () => {
      const p = withContainer(
        "containers",
        {
          securityContext: {
            privileged: false,
            allowPrivilegeEscalation: false,
            capabilities: { add: ["NET_BIND_SERVICE"] },
          },
          ports: [{ containerPort: 80, hostPort: 0 }],
        },
        pod({ hostNetwork: false, hostPID: false, hostIPC: false, volumes: [{ name: "tmp", emptyDir: {} }] }),
      );
      assert.deepEqual(admit(spec, { object: p }).denials, []);
    });

    it("images pinned by digest when digests are required, in every list", () => {
      let p = pod({}, OK_PINNED);
      for (const list of containerLists) p = withContainer(list, { image: `${REG}/coder:v1@${DIGEST}` }, p);
      assert.deepEqual(admit(pinned, { object: p }).denials, []);
    });

    it("workloads whose pod template meets every rule", () => {
      const podSpec = pod().spec as Json;
      for (const [kind, apiVersion] of [
        ["Deployment", "apps/v1"],
        ["StatefulSet", "apps/v1"],
        ["ReplicaSet", "apps/v1"],
        ["DaemonSet", "apps/v1"],
        ["Job", "batch/v1"],
        ["CronJob", "batch/v1"],
        ["ReplicationController", "v1"],
      ]) {
        assert.deepEqual(admit(spec, { object: workload(kind!, apiVersion!, podSpec) }).denials, [], kind);
      }
    });

    it("a metadata-only update of a pod admitted under a wider list (a controller removing a finalizer)", () => {
      const old = { ...pod({}, "ghcr.io/other/image:1"), metadata: { name: "p", finalizers: ["x"] } };
      const updated = { ...old, metadata: { name: "p" } };
      const verdict = admit(spec, { object: updated, oldObject: old, operation: "UPDATE" });
      assert.equal(verdict.matched, false);
      assert.equal(verdict.allowed, true);
    });
  });

  describe("refuses, each by its own rule", () => {
    const bad = `ghcr.io/evil/miner:latest`;

    for (const list of containerLists) {
      it(`an unapproved image in ${list}`, () => {
        assert.deepEqual(refusedBy(spec, withContainer(list, { image: bad })), ["approved-images"]);
      });
      it(`a privileged container in ${list}`, () => {
        assert.deepEqual(refusedBy(spec, withContainer(list, { securityContext: { privileged: true } })), [
          "no-privileged",
        ]);
      });
      it(`allowPrivilegeEscalation in ${list}`, () => {
        assert.deepEqual(
          refusedBy(spec, withContainer(list, { securityContext: { allowPrivilegeEscalation: true } })),
          ["no-privilege-escalation"],
        );
      });
      it(`an added capability in ${list}`, () => {
        assert.deepEqual(
          refusedBy(
            spec,
            withContainer(list, { securityContext: { capabilities: { add: ["NET_BIND_SERVICE", "SYS_ADMIN"] } } }),
          ),
          ["no-added-capabilities"],
        );
      });
      it(`an image without a digest in ${list}, when digests are required`, () => {
        assert.deepEqual(refusedBy(pinned, withContainer(list, { image: OK }, pod({}, OK_PINNED))), ["image-digest"]);
      });
    }

    it("images that only look like an approved prefix", () => {
      for (const image of [
        `${REG}/coder-evil/x:1`,
        `${REG}/coderx:1`,
        `${REG}.evil.io/coder/x:1`,
        `${REG}:5000/coder/x:1`,
        `evil.io/${REG}/coder/x:1`,
        "coder/base:1",
        `${REG}/coder`,
      ]) {
        assert.deepEqual(refusedBy(spec, pod({}, image)), ["approved-images"], image);
      }
    });

    it("a container without an image", () => {
      assert.deepEqual(refusedBy(spec, withContainer("initContainers", { image: undefined })), ["approved-images"]);
    });

    it("a digest that is not a whole sha256 digest, when digests are required", () => {
      for (const image of [
        `${REG}/coder/base@sha256:abc`,
        `${REG}/coder/base:${DIGEST}`,
        `${REG}/coder/base@${DIGEST}x`,
      ]) {
        assert.ok(refusedBy(pinned, pod({}, image)).includes("image-digest"), image);
      }
    });

    for (const [field, rule] of [
      ["hostNetwork", "no-host-network"],
      ["hostPID", "no-host-pid"],
      ["hostIPC", "no-host-ipc"],
    ] as const) {
      it(`${field}: true`, () => {
        assert.deepEqual(refusedBy(spec, pod({ [field]: true })), [rule]);
      });
    }

    it("a hostPath volume", () => {
      const p = pod({
        volumes: [
          { name: "home", emptyDir: {} },
          { name: "root", hostPath: { path: "/" } },
        ],
      });
      assert.deepEqual(refusedBy(spec, p), ["no-host-path"]);
    });

    it("a host port", () => {
      assert.deepEqual(
        refusedBy(spec, withContainer("containers", { ports: [{ containerPort: 22, hostPort: 2222 }] })),
        ["no-host-ports"],
      );
    });

    it("a Deployment, CronJob or Job whose template breaks a rule", () => {
      const privileged = withContainer("containers", { securityContext: { privileged: true } }).spec as Json;
      assert.deepEqual(refusedBy(spec, workload("Deployment", "apps/v1", pod({}, "ghcr.io/x/y:1").spec as Json)), [
        "approved-images",
      ]);
      assert.deepEqual(refusedBy(spec, workload("CronJob", "batch/v1", privileged)), ["no-privileged"]);
      assert.deepEqual(refusedBy(spec, workload("Job", "batch/v1", pod({ hostPID: true }).spec as Json)), [
        "no-host-pid",
      ]);
    });

    it("kubectl debug adding an unapproved ephemeral container to a running pod", () => {
      const running = pod();
      const debugged = withContainer("ephemeralContainers", { image: "docker.io/library/busybox:1.36" }, running);
      const verdict = admit(spec, {
        object: debugged,
        oldObject: running,
        operation: "UPDATE",
        subResource: "ephemeralcontainers",
      });
      assert.equal(verdict.matched, true);
      assert.deepEqual(
        verdict.denials.map((d) => d.message.split(":")[0]),
        ["approved-images"],
      );
    });

    it("an image changed on a running pod", () => {
      const running = pod();
      assert.deepEqual(refusedBy(spec, pod({}, "ghcr.io/evil/miner:1"), running), ["approved-images"]);
    });

    it("every rule at once, with one message per rule", () => {
      const p = withContainer(
        "initContainers",
        {
          image: "ghcr.io/x/y:1",
          securityContext: { privileged: true, allowPrivilegeEscalation: true, capabilities: { add: ["ALL"] } },
          ports: [{ containerPort: 1, hostPort: 1 }],
        },
        pod({
          hostNetwork: true,
          hostPID: true,
          hostIPC: true,
          volumes: [{ name: "h", hostPath: { path: "/var/run" } }],
        }),
      );
      assert.deepEqual(
        refusedBy(pinned, p),
        admissionValidations(config([`${REG}/coder`], true)).map((v) => v.rule),
      );
    });

    it("a malformed object (no containers) fails closed: failurePolicy Fail refuses what cannot be evaluated", () => {
      const broken = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} };
      const verdict = admit(spec, { object: broken });
      assert.equal(verdict.allowed, false);
      assert.ok(verdict.results.some((r) => r.result === "error"));
      // The same object under failurePolicy Ignore would be admitted: why the policy must keep Fail.
      assert.equal(admit({ ...spec, failurePolicy: "Ignore" }, { object: broken }).allowed, true);
    });
  });

  describe("each rule is what catches its case (weakening the policy is detected)", () => {
    const cases: Record<string, Json> = {
      "approved-images": pod({}, `${REG}/coder-evil/x@${DIGEST}`),
      "image-digest": pod({}, OK),
      "no-privileged": withContainer(
        "containers",
        { image: OK_PINNED, securityContext: { privileged: true } },
        pod({}, OK_PINNED),
      ),
      "no-privilege-escalation": withContainer(
        "ephemeralContainers",
        { image: OK_PINNED, securityContext: { allowPrivilegeEscalation: true } },
        pod({}, OK_PINNED),
      ),
      "no-added-capabilities": withContainer(
        "initContainers",
        { image: OK_PINNED, securityContext: { capabilities: { add: ["SYS_PTRACE"] } } },
        pod({}, OK_PINNED),
      ),
      "no-host-network": pod({ hostNetwork: true }, OK_PINNED),
      "no-host-pid": pod({ hostPID: true }, OK_PINNED),
      "no-host-ipc": pod({ hostIPC: true }, OK_PINNED),
      "no-host-path": pod({ volumes: [{ name: "h", hostPath: { path: "/" } }] }, OK_PINNED),
      "no-host-ports": withContainer(
        "containers",
        { image: OK_PINNED, ports: [{ containerPort: 1, hostPort: 80 }] },
        pod({}, OK_PINNED),
      ),
    };
    const validations = admissionValidations(config([`${REG}/coder`], true));

    for (const v of validations) {
      it(`${v.rule}: refused with it, admitted without it`, () => {
        const full = workspaceAdmissionPolicySpec(config([`${REG}/coder`], true));
        const object = cases[v.rule]!;
        assert.deepEqual(refusedBy(full, object), [v.rule]);
        const weakened: WorkspaceAdmissionPolicySpec = {
          ...full,
          validations: full.validations.filter((x) => x.expression !== v.expression),
        };
        assert.equal(admit(weakened, { object }).allowed, true);
      });
    }

    it("dropping ephemeral or init containers from the checked list is caught", () => {
      const full = specOf();
      for (const list of ["initContainers", "ephemeralContainers"] as const) {
        const weakened: WorkspaceAdmissionPolicySpec = {
          ...full,
          variables: full.variables.map((v) =>
            v.name === "containers" ? { ...v, expression: "variables.podSpec.containers" } : v,
          ),
        };
        const p = withContainer(list, { image: "ghcr.io/x/y:1" });
        assert.deepEqual(refusedBy(full, p), ["approved-images"]);
        assert.equal(admit(weakened, { object: p }).allowed, true);
      }
    });
  });

  describe("agrees with a plain TypeScript reference (random prefixes and images)", () => {
    interface Ref {
      host: string;
      path: string[];
      tag?: string;
      digest?: string;
    }
    const hosts = [REG, `${REG}:5000`, "registry.example.co", `${REG}.evil.io`, "ghcr.io"];
    const components = ["coder", "coder-evil", "coderx", "base", "team", "c"];
    const digests = [DIGEST, `sha256:${"f".repeat(64)}`];
    const refArb: fc.Arbitrary<Ref> = fc.record(
      {
        host: fc.constantFrom(...hosts),
        path: fc.array(fc.constantFrom(...components), { minLength: 1, maxLength: 3 }),
        tag: fc.constantFrom("1.0", "1.0-evil", "latest"),
        digest: fc.constantFrom(...digests),
      },
      { requiredKeys: ["host", "path"] },
    );
    const render = (r: Ref) =>
      `${r.host}/${r.path.join("/")}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest !== undefined ? `@${r.digest}` : ""}`;

    type Form = "host" | "host/" | "repo" | "repo/" | "repo:" | "repo@" | "exact";
    const entryArb = fc.tuple(
      fc.constantFrom<Form>("host", "host/", "repo", "repo/", "repo:", "repo@", "exact"),
      refArb,
    );
    const entryText = ([form, r]: [Form, Ref]): string => {
      const repo = `${r.host}/${r.path.join("/")}`;
      switch (form) {
        case "host":
          return r.host;
        case "host/":
          return `${r.host}/`;
        case "repo":
          return repo;
        case "repo/":
          return `${repo}/`;
        case "repo:":
          return `${repo}:`;
        case "repo@":
          return `${repo}@`;
        case "exact":
          return `${repo}@${r.digest ?? DIGEST}`;
      }
    };
    const samePath = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    const under = (image: string[], p: string[]) => image.length > p.length && p.every((x, i) => x === image[i]);

    /** The documented meaning of an approval, on parsed references: host and path compared component-wise. */
    function approves([form, e]: [Form, Ref], image: Ref): boolean {
      if (image.host !== e.host) return false;
      switch (form) {
        case "host":
        case "host/":
          return true;
        case "repo/":
          return under(image.path, e.path);
        case "repo":
          return (
            under(image.path, e.path) ||
            (samePath(image.path, e.path) && (image.tag !== undefined || image.digest !== undefined))
          );
        case "repo:":
          return samePath(image.path, e.path) && image.tag !== undefined;
        case "repo@":
          return samePath(image.path, e.path) && image.tag === undefined && image.digest !== undefined;
        case "exact":
          return samePath(image.path, e.path) && image.tag === undefined && image.digest === (e.digest ?? DIGEST);
      }
    }

    it("approved-images (and image-digest when required) give the reference's verdict", () => {
      fc.assert(
        fc.property(
          fc.array(entryArb, { minLength: 1, maxLength: 4 }),
          refArb,
          fc.constantFrom(...containerLists),
          fc.boolean(),
          (entries, image, list, requireDigest) => {
            // The pod's own container runs an approved, pinned image; the random one joins it.
            const base: Ref = { host: REG, path: ["coder", "base"], digest: DIGEST };
            const all: [Form, Ref][] = [...entries, ["repo@", base]];
            const s = specOf(all.map(entryText), requireDigest);
            const object = withContainer(list, { image: render(image) }, pod({}, render(base)));
            const expected: string[] = [];
            if (!all.some((e) => approves(e, image))) expected.push("approved-images");
            if (requireDigest && image.digest === undefined) expected.push("image-digest");
            assert.deepEqual(refusedBy(s, object), expected);
          },
        ),
        { numRuns: 200 },
      );
    });

    it("the host and privilege rules give the reference's verdict on random pods", () => {
      const container = fc.record(
        {
          privileged: fc.boolean(),
          allowPrivilegeEscalation: fc.boolean(),
          add: fc.array(fc.constantFrom("NET_BIND_SERVICE", "SYS_ADMIN", "NET_RAW", "ALL"), { maxLength: 2 }),
          hostPort: fc.constantFrom(0, 8080),
        },
        { requiredKeys: [] },
      );
      const podArb = fc.record({
        hostNetwork: fc.option(fc.boolean(), { nil: undefined }),
        hostPID: fc.option(fc.boolean(), { nil: undefined }),
        hostIPC: fc.option(fc.boolean(), { nil: undefined }),
        hostPath: fc.boolean(),
        containers: fc.array(fc.tuple(fc.constantFrom(...containerLists), container), { maxLength: 4 }),
      });
      const s = specOf([`${REG}/`]);
      fc.assert(
        fc.property(podArb, (p) => {
          let object = pod({
            ...(p.hostNetwork !== undefined ? { hostNetwork: p.hostNetwork } : {}),
            ...(p.hostPID !== undefined ? { hostPID: p.hostPID } : {}),
            ...(p.hostIPC !== undefined ? { hostIPC: p.hostIPC } : {}),
            volumes: p.hostPath ? [{ name: "h", hostPath: { path: "/" } }] : [{ name: "e", emptyDir: {} }],
          });
          for (const [list, c] of p.containers) {
            const securityContext: Json = {};
            if (c.privileged !== undefined) securityContext.privileged = c.privileged;
            if (c.allowPrivilegeEscalation !== undefined)
              securityContext.allowPrivilegeEscalation = c.allowPrivilegeEscalation;
            if (c.add !== undefined) securityContext.capabilities = { add: c.add };
            const ports =
              c.hostPort !== undefined && list !== "ephemeralContainers"
                ? [{ containerPort: 1, hostPort: c.hostPort }]
                : undefined;
            object = withContainer(list, { securityContext, ...(ports ? { ports } : {}) }, object);
          }
          const cs = p.containers.map(([list, c]) => ({ list, ...c }));
          const expected = [
            cs.some((c) => c.privileged === true) && "no-privileged",
            cs.some((c) => c.allowPrivilegeEscalation === true) && "no-privilege-escalation",
            cs.some((c) => (c.add ?? []).some((k) => k !== "NET_BIND_SERVICE")) && "no-added-capabilities",
            p.hostNetwork === true && "no-host-network",
            p.hostPID === true && "no-host-pid",
            p.hostIPC === true && "no-host-ipc",
            p.hostPath && "no-host-path",
            cs.some((c) => c.list !== "ephemeralContainers" && (c.hostPort ?? 0) !== 0) && "no-host-ports",
          ].filter((x): x is string => typeof x === "string");
          assert.deepEqual(refusedBy(s, object), expected);
        }),
        { numRuns: 200 },
      );
    });
  });
});

describe("WorkspaceAdmissionPolicy (mock engine)", () => {
  let resources: RecordedResource[];
  let outputs: Record<string, unknown>;
  let component: WorkspaceAdmissionPolicy;

  before(async () => {
    const run = await synth(() => {
      // The design's snippet, with the namespace as the Output a CoderNamespace gives.
      component = new WorkspaceAdmissionPolicy("coder", {
        namespace: pulumi.output("coder"),
        approvedImages: ["registry.example.com/coder/"],
      });
      // What the clouds pass: repository URLs as Outputs, digests required.
      const cloud = new WorkspaceAdmissionPolicy("cloud", {
        namespace: "workspaces",
        approvedImages: [pulumi.output("123456789012.dkr.ecr.us-west-2.amazonaws.com/coder-workspace")],
        requireDigest: true,
        name: "cloud-images",
      });
      return {
        policyName: component.policyName,
        bindingName: component.bindingName,
        cloudApproved: cloud.approvedImages,
      };
    });
    resources = run.resources;
    outputs = run.outputs;
  });

  const policyNamed = (name: string) =>
    resources.find((r) => r.type === VAP && (r.inputs.metadata as { name: string }).name === name)!;
  const bindingNamed = (name: string) =>
    resources.find((r) => r.type === VAPB && (r.inputs.metadata as { name: string }).name === name)!;

  it("emits schema-valid Kubernetes objects", async () => {
    assert.equal(await validateAllKubernetesObjects(resources), 4);
  });

  it("deploys exactly the spec the pure function builds", () => {
    const deployed = policyNamed("coder-workspaces").inputs.spec;
    assert.deepEqual(deployed, JSON.parse(JSON.stringify(specOf(["registry.example.com/coder/"]))));
  });

  it("binds the policy by name, Deny, to the workspace namespace only", () => {
    const policy = policyNamed("coder-workspaces");
    const binding = bindingNamed("coder-workspaces");
    const spec = binding.inputs.spec as {
      policyName: string;
      validationActions: string[];
      matchResources: { namespaceSelector: { matchLabels: Record<string, string> } };
    };
    assert.equal(spec.policyName, (policy.inputs.metadata as { name: string }).name);
    assert.deepEqual(spec.validationActions, ["Deny"]);
    assert.deepEqual(spec.matchResources.namespaceSelector, {
      matchLabels: { "kubernetes.io/metadata.name": "coder" },
    });
    assert.ok(binding.dependencies.includes(policy.urn), "the binding waits for its policy");
    assert.equal((policy.inputs.spec as { failurePolicy: string }).failurePolicy, "Fail");
  });

  it("refuses, as deployed, what the rules refuse", () => {
    const deployed = policyNamed("coder-workspaces").inputs.spec as CelPolicySpec;
    assert.deepEqual(refusedBy(deployed, pod({}, "registry.example.com/coder-evil/x:1")), ["approved-images"]);
    assert.deepEqual(refusedBy(deployed, pod({ hostNetwork: true })), ["no-host-network"]);
    assert.deepEqual(admit(deployed, { object: pod() }).denials, []);
  });

  it("parents both objects to the component and exposes their names", async () => {
    const comp = one(resources, TOKEN, "coder");
    assert.equal(policyNamed("coder-workspaces").parent, comp.urn);
    assert.equal(bindingNamed("coder-workspaces").parent, comp.urn);
    assert.equal(outputs.policyName, "coder-workspaces");
    assert.equal(outputs.bindingName, "coder-workspaces");
    assert.equal(await valueOf(component.policy.metadata.name), "coder-workspaces");
  });

  it("normalises repository URLs that arrive as Outputs and requires digests when asked", () => {
    const ecr = "123456789012.dkr.ecr.us-west-2.amazonaws.com/coder-workspace";
    assert.deepEqual(outputs.cloudApproved, [`${ecr}/`, `${ecr}:`, `${ecr}@`]);
    const deployed = policyNamed("cloud-images").inputs.spec as CelPolicySpec;
    assert.deepEqual(refusedBy(deployed, pod({}, `${ecr}:latest`)), ["image-digest"]);
    assert.deepEqual(admit(deployed, { object: pod({}, `${ecr}@${DIGEST}`) }).denials, []);
    assert.deepEqual((bindingNamed("cloud-images").inputs.spec as { matchResources: unknown }).matchResources, {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "workspaces" } },
    });
  });

  it("registers nothing when a known approved list is refused, even beside an Output namespace", async () => {
    const errors: unknown[] = [];
    const run = await synth(() => {
      for (const args of [
        { namespace: "coder", approvedImages: [] },
        // The design's snippet passes ns.namespaceName, an Output: the plain list is still checked first.
        { namespace: pulumi.output("coder"), approvedImages: ["ubuntu"] },
      ]) {
        try {
          new WorkspaceAdmissionPolicy("coder", args);
        } catch (err) {
          errors.push(err);
        }
      }
    });
    assert.equal(errors.length, 2);
    assert.match(String(errors[0]), /approvedImages: the list is empty/);
    assert.match(String(errors[1]), /approvedImages\[0\]: "ubuntu"/);
    assert.deepEqual(
      run.resources.filter((r) => [TOKEN, VAP, VAPB].includes(r.type)),
      [],
    );
  });

  it("fails the deployment, creating no policy, when an approved list that arrives as an Output is bad", async () => {
    for (const approvedImages of [pulumi.output([] as string[]), [pulumi.output("registry.example.com/coder:1.0")]]) {
      const run = await synthApplyFailures(() => {
        new WorkspaceAdmissionPolicy("coder", { namespace: "coder", approvedImages });
      });
      assert.ok(
        run.failures.some((f) => /approvedImages/.test(f)),
        run.failures.join("\n"),
      );
      assert.deepEqual(
        run.resources.filter((r) => r.type === VAP || r.type === VAPB),
        [],
      );
    }
  });
});
