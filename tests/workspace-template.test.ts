/**
 * The restricted workspace template (examples/templates/kubernetes-restricted/main.tf) against the
 * policies it must pass: its pod spec, parsed from the HCL, goes through the same Pod Security
 * `restricted` rules the namespace enforces and the same CEL the WorkspaceAdmissionPolicy deploys,
 * so the template and the policies cannot drift apart.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";
import {
  resolveCoderNamespaceArgs,
  resolveWorkspaceAdmissionPolicyArgs,
  workspaceAdmissionPolicySpec,
} from "@hardened-coder/kubernetes";
import { admit } from "./harness/cel";
import { checkPodSecurity } from "./harness/pod-security";
import { validateKubernetesObject } from "./harness/validate";

const templateDir = join(__dirname, "..", "examples", "templates", "kubernetes-restricted");

type Json = Record<string, unknown>;

/**
 * The relevant part of Coder's stock Kubernetes template (coder/registry,
 * registry/coder/templates/kubernetes/main.tf): its Deployment's pod spec, verbatim.
 */
const STOCK_TEMPLATE = `
variable "namespace" {
  type        = string
}

resource "kubernetes_persistent_volume_claim" "home" {
  metadata {
    name      = "coder-\${data.coder_workspace.me.id}-home"
    namespace = var.namespace
  }
}

resource "kubernetes_deployment" "main" {
  count = data.coder_workspace.me.start_count
  wait_for_rollout = false
  metadata {
    name      = "coder-\${data.coder_workspace.me.id}"
    namespace = var.namespace
  }
  spec {
    replicas = 1
    selector {
      match_labels = {
        "app.kubernetes.io/name" = "coder-workspace"
      }
    }
    strategy {
      type = "Recreate"
    }
    template {
      metadata {
        labels = {
          "app.kubernetes.io/name" = "coder-workspace"
        }
      }
      spec {
        security_context {
          run_as_user     = 1000
          fs_group        = 1000
          run_as_non_root = true
        }

        container {
          name              = "dev"
          image             = "codercom/enterprise-base:ubuntu"
          image_pull_policy = "Always"
          command           = ["sh", "-c", coder_agent.main.init_script]
          security_context {
            run_as_user = "1000"
          }
          env {
            name  = "CODER_AGENT_TOKEN"
            value = coder_agent.main.token
          }
          resources {
            requests = {
              "cpu"    = "250m"
              "memory" = "512Mi"
            }
            limits = {
              "cpu"    = "\${data.coder_parameter.cpu.value}"
              "memory" = "\${data.coder_parameter.memory.value}Gi"
            }
          }
          volume_mount {
            mount_path = "/home/coder"
            name       = "home"
            read_only  = false
          }
        }

        volume {
          name = "home"
          persistent_volume_claim {
            claim_name = kubernetes_persistent_volume_claim.home.metadata.0.name
            read_only  = false
          }
        }
      }
    }
  }
}
`;

// ------------------------------------------------------------------------------------------------
// HCL (as @cdktf/hcl2json renders it) -> Kubernetes JSON, the way the Terraform kubernetes provider
// maps its schema: snake_case blocks and attributes become camelCase fields, single blocks become
// objects, repeated blocks lists. An unknown block or unresolved reference fails the test, so a
// template change the converter does not understand cannot pass silently.
// ------------------------------------------------------------------------------------------------

const singleBlocks = new Set([
  "metadata",
  "spec",
  "selector",
  "strategy",
  "template",
  "security_context",
  "capabilities",
  "seccomp_profile",
  "resources",
  "value_from",
  "secret_key_ref",
  "persistent_volume_claim",
  "empty_dir",
  "affinity",
  "pod_anti_affinity",
  "pod_affinity_term",
  "label_selector",
]);
const repeatedBlocks: Record<string, string> = {
  container: "containers",
  init_container: "initContainers",
  volume: "volumes",
  volume_mount: "volumeMounts",
  env: "env",
  port: "ports",
  host_aliases: "hostAliases",
  match_expressions: "matchExpressions",
  preferred_during_scheduling_ignored_during_execution: "preferredDuringSchedulingIgnoredDuringExecution",
};
/** Terraform meta-arguments and provider-only settings: not part of the Kubernetes object. */
const terraformOnly = new Set(["count", "depends_on", "wait_for_rollout", "wait_until_bound", "lifecycle"]);
/** Integer fields the provider takes as strings or numbers. */
const integerFields = new Set(["runAsUser", "runAsGroup", "fsGroup", "replicas", "weight"]);

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

interface Scope {
  readonly refs: Readonly<Record<string, unknown>>;
  /** Items of each `dynamic` block, by block name (the test decides what for_each yields). */
  readonly dynamic: Readonly<Record<string, readonly unknown[]>>;
}

function interpolate(value: string, refs: Readonly<Record<string, unknown>>): unknown {
  const whole = /^\$\{([^}]+)\}$/.exec(value);
  const lookup = (expr: string) => {
    if (!(expr in refs)) throw new Error(`unresolved reference \${${expr}} in "${value}"`);
    return refs[expr];
  };
  if (whole) return lookup(whole[1]!.trim());
  return value.replace(/\$\{([^}]+)\}/g, (_, expr: string) => String(lookup(expr.trim())));
}

function scalar(value: unknown, refs: Readonly<Record<string, unknown>>): unknown {
  if (typeof value === "string") return interpolate(value, refs);
  if (Array.isArray(value)) return value.map((v) => scalar(v, refs));
  if (typeof value === "object" && value !== null) {
    // A map attribute (labels, limits, match_labels): keys are data, kept as written.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scalar(v, refs)]));
  }
  return value;
}

function isBlockList(value: unknown): value is Json[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v))
  );
}

function block(body: Json, scope: Scope): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(body)) {
    if (terraformOnly.has(key)) continue;
    if (key === "dynamic") {
      for (const [name, defs] of Object.entries(value as Record<string, Json[]>)) {
        const items = scope.dynamic[name];
        if (items === undefined) throw new Error(`dynamic "${name}": the test gives no items for it`);
        const target = repeatedBlocks[name];
        if (!target) throw new Error(`dynamic "${name}" is not a repeated block the converter knows`);
        const content = (defs[0]!.content as Json[])[0]!;
        const made = items.map((item) =>
          block(content, { ...scope, refs: { ...scope.refs, [`${name}.value`]: item } }),
        );
        if (made.length > 0) out[target] = [...((out[target] as Json[] | undefined) ?? []), ...made];
      }
      continue;
    }
    if (isBlockList(value) && (singleBlocks.has(key) || key in repeatedBlocks)) {
      if (singleBlocks.has(key)) {
        assert.equal(value.length, 1, `block ${key} appears more than once`);
        out[camel(key)] = block(value[0]!, scope);
      } else {
        out[repeatedBlocks[key]!] = [
          ...((out[repeatedBlocks[key]!] as Json[] | undefined) ?? []),
          ...value.map((v) => block(v, scope)),
        ];
      }
      continue;
    }
    if (isBlockList(value)) throw new Error(`block "${key}" is unknown to the converter`);
    const field = camel(key);
    const converted = scalar(value, scope.refs);
    out[field] = integerFields.has(field) && typeof converted === "string" ? Number(converted) : converted;
  }
  return out;
}

interface Rendered {
  readonly deployment: Json;
  readonly pod: Json;
  readonly podSpec: Json;
  readonly hcl: Json;
}

const workspaceId = "8c5f6a3e-0000-4000-8000-000000000001";
const AGENT_TOKEN = "agent-token-from-coderd";

/** Variables' defaults, then the overrides, as Terraform would resolve them. */
function variables(hcl: Json, overrides: Record<string, unknown>): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const [name, defs] of Object.entries((hcl.variable ?? {}) as Record<string, Json[]>)) {
    vars[`var.${name}`] = name in overrides ? overrides[name] : defs[0]!.default;
  }
  return vars;
}

async function render(
  hclText: string,
  opts: { vars?: Record<string, unknown>; params?: Record<string, string>; coderdClusterIp?: string } = {},
): Promise<Rendered> {
  const hcl = (await parse("main.tf", hclText)) as Json;
  const resources = hcl.resource as Record<string, Record<string, Json[]>>;
  const refs: Record<string, unknown> = {
    ...variables(hcl, {
      ...(opts.vars ?? {}),
      ...(opts.coderdClusterIp ? { coderd_cluster_ip: opts.coderdClusterIp } : {}),
    }),
    "data.coder_workspace.me.id": workspaceId,
    "data.coder_workspace.me.name": "dev",
    "data.coder_workspace.me.start_count": 1,
    "data.coder_workspace.me.access_url": "https://coder.example.com",
    "data.coder_workspace_owner.me.id": "4b1d0000-0000-4000-8000-000000000002",
    "data.coder_workspace_owner.me.name": "alice",
    "data.coder_workspace_owner.me.email": "alice@example.com",
    "data.coder_parameter.cpu.value": opts.params?.cpu ?? "2",
    "data.coder_parameter.memory.value": opts.params?.memory ?? "4",
    "data.coder_parameter.home_disk_size.value": opts.params?.home_disk_size ?? "10",
    "coder_agent.main.init_script": "#!/bin/sh\nexec coder agent",
    "coder_agent.main.token": AGENT_TOKEN,
    "local.access_host": "coder.example.com",
  };
  const pvcName = resources.kubernetes_persistent_volume_claim?.home?.[0];
  if (pvcName) {
    refs["kubernetes_persistent_volume_claim.home.metadata.0.name"] = interpolate(
      (pvcName.metadata as Json[])[0]!.name as string,
      refs,
    );
  }
  const secret = resources.kubernetes_secret?.agent_token?.[0];
  if (secret) {
    refs["kubernetes_secret.agent_token[0].metadata[0].name"] = interpolate(
      (secret.metadata as Json[])[0]!.name as string,
      refs,
    );
  }
  const scope: Scope = { refs, dynamic: { host_aliases: opts.coderdClusterIp ? [opts.coderdClusterIp] : [] } };
  const tf = resources.kubernetes_deployment!.main![0]!;
  const d = block(tf, scope);
  const deployment = { apiVersion: "apps/v1", kind: "Deployment", ...d };
  const template = (d.spec as Json).template as Json;
  const podSpec = template.spec as Json;
  const meta = d.metadata as Json;
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${meta.name as string}-0`,
      namespace: meta.namespace,
      labels: (template.metadata as Json | undefined)?.labels,
    },
    spec: podSpec,
  };
  return { deployment, pod, podSpec, hcl };
}

const readTemplate = () => readFileSync(join(templateDir, "main.tf"), "utf8");

/** Kubernetes quantities as numbers (cores or bytes). */
function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti)?$/.exec(q);
  assert.ok(m, `not a quantity: ${q}`);
  const factor: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? factor[m[2]]! : 1);
}

const container = (r: Rendered) => (r.podSpec.containers as Json[])[0]!;

describe("workspace template kubernetes-restricted: Pod Security restricted", () => {
  let rendered: Rendered;
  before(async () => {
    rendered = await render(readTemplate());
  });

  it("passes every restricted check, as a Deployment's pod template and as the pod it creates", () => {
    assert.deepEqual(checkPodSecurity(rendered.podSpec, "restricted"), []);
    assert.deepEqual(checkPodSecurity((rendered.pod as { spec: unknown }).spec, "restricted"), []);
  });

  it("carries the four security-context lines Coder's stock template lacks", () => {
    const sc = container(rendered).securityContext as Json;
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.deepEqual(sc.capabilities, { drop: ["ALL"] });
    assert.deepEqual(sc.seccompProfile, { type: "RuntimeDefault" });
    assert.equal(sc.runAsNonRoot, true);
    assert.equal(sc.runAsUser, 1000);
  });

  it("fails restricted on exactly the check each of those lines meets when it is removed", () => {
    const without = (mutate: (sc: Json, pod: Json) => void) => {
      const spec = structuredClone(rendered.podSpec);
      mutate((spec.containers as Json[])[0]!.securityContext as Json, spec.securityContext as Json);
      return [...new Set(checkPodSecurity(spec, "restricted").map((v) => v.check))];
    };
    assert.deepEqual(
      without((sc) => delete sc.allowPrivilegeEscalation),
      ["allowPrivilegeEscalation"],
    );
    assert.deepEqual(
      without((sc) => delete sc.capabilities),
      ["capabilities"],
    );
    assert.deepEqual(
      without((sc) => delete sc.seccompProfile),
      ["seccompProfile"],
    );
    // The pod-level runAsNonRoot covers the container too; both gone, the check fails.
    assert.deepEqual(
      without((sc, pod) => {
        delete sc.runAsNonRoot;
        delete pod.runAsNonRoot;
      }),
      ["runAsNonRoot"],
    );
  });

  it("stays restricted with the in-cluster coderd host alias", async () => {
    const inCluster = await render(readTemplate(), { coderdClusterIp: "10.96.0.50" });
    assert.deepEqual(inCluster.podSpec.hostAliases, [{ ip: "10.96.0.50", hostnames: ["coder.example.com"] }]);
    assert.deepEqual(checkPodSecurity(inCluster.podSpec, "restricted"), []);
    assert.equal(rendered.podSpec.hostAliases, undefined);
    const hcl = inCluster.hcl as { locals: { access_host: string }[] };
    assert.equal(hcl.locals[0]!.access_host, '${regex("^https?://([^/:]+)", data.coder_workspace.me.access_url)[0]}');
  });

  it("proves the checker: Coder's stock template passes baseline but fails restricted on exactly the missing lines", async () => {
    const stock = await render(STOCK_TEMPLATE, { vars: { namespace: "coder" } });
    assert.deepEqual(checkPodSecurity(stock.podSpec, "baseline"), []);
    const failed = checkPodSecurity(stock.podSpec, "restricted");
    assert.deepEqual(failed.map((v) => `${v.check} ${v.path}`).sort(), [
      "allowPrivilegeEscalation spec.containers[0].securityContext.allowPrivilegeEscalation",
      "capabilities spec.containers[0].securityContext.capabilities.drop",
      "seccompProfile spec.containers[0].securityContext.seccompProfile.type",
    ]);
    // The stock template sets runAsNonRoot on the pod, which restricted accepts for every container.
    assert.equal((stock.podSpec.securityContext as Json).runAsNonRoot, true);
  });

  it("catches what restricted forbids: privileged, host namespaces, hostPath, host ports, root, added capabilities", () => {
    const checks = (mutate: (spec: Json, c: Json) => void) => {
      const spec = structuredClone(rendered.podSpec);
      mutate(spec, (spec.containers as Json[])[0]!);
      return [...new Set(checkPodSecurity(spec, "restricted").map((v) => v.check))].sort();
    };
    assert.deepEqual(
      checks((_, c) => ((c.securityContext as Json).privileged = true)),
      ["privileged"],
    );
    assert.deepEqual(
      checks((s) => (s.hostNetwork = true)),
      ["hostNamespaces"],
    );
    assert.deepEqual(
      checks((s) => (s.volumes as Json[]).push({ name: "h", hostPath: { path: "/" } })),
      ["hostPathVolumes", "volumeTypes"],
    );
    assert.deepEqual(
      checks((_, c) => (c.ports = [{ containerPort: 22, hostPort: 2222 }])),
      ["hostPorts"],
    );
    assert.deepEqual(
      checks((s) => ((s.securityContext as Json).runAsUser = 0)),
      ["runAsUser"],
    );
    assert.deepEqual(
      checks((_, c) => ((c.securityContext as Json).capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] })),
      ["capabilities", "capabilities.baseline"],
    );
    assert.deepEqual(
      checks((_, c) => ((c.securityContext as Json).seccompProfile = { type: "Unconfined" })),
      ["seccompProfile", "seccompProfile.baseline"],
    );
  });
});

describe("workspace template kubernetes-restricted: the WorkspaceAdmissionPolicy CEL", () => {
  const policy = workspaceAdmissionPolicySpec(
    resolveWorkspaceAdmissionPolicyArgs(
      { namespace: "coder", approvedImages: ["registry.example.com/coder/"] },
      "coder",
    ),
  );

  it("admits the template's Deployment and its pod with the default (approved) image", async () => {
    const r = await render(readTemplate());
    for (const object of [r.deployment, r.pod]) {
      const verdict = admit(policy, { object });
      assert.ok(verdict.matched);
      assert.deepEqual(verdict.denials, [], JSON.stringify(verdict.denials));
    }
  });

  it("refuses the template with the stock, unapproved image, and a privileged variant", async () => {
    const stockImage = await render(readTemplate(), { vars: { image: "codercom/enterprise-base:ubuntu" } });
    const verdict = admit(policy, { object: stockImage.deployment });
    assert.equal(verdict.allowed, false);
    const privileged = await render(readTemplate());
    (container(privileged).securityContext as Json).privileged = true;
    assert.equal(admit(policy, { object: privileged.pod }).allowed, false);
  });
});

describe("workspace template kubernetes-restricted: namespace, account, token and resources", () => {
  const namespace = resolveCoderNamespaceArgs({}, "coder");
  let rendered: Rendered;
  before(async () => {
    rendered = await render(readTemplate());
  });

  it("takes the namespace as a variable, defaulting to CoderNamespace('coder')'s", () => {
    const v = (rendered.hcl.variable as Record<string, Json[]>).namespace![0]!;
    assert.equal(v.default, namespace.name);
    assert.equal((rendered.deployment.metadata as Json).namespace, "coder");
  });

  it("runs as the namespace's workspace ServiceAccount (pull secret attached) with no API token", () => {
    assert.equal(rendered.podSpec.serviceAccountName, namespace.workspaceServiceAccountName);
    assert.equal(rendered.podSpec.automountServiceAccountToken, false);
  });

  it("reads the agent token from a Kubernetes Secret, never from a plain env value", () => {
    const env = container(rendered).env as Json[];
    const token = env.find((e) => e.name === "CODER_AGENT_TOKEN")!;
    assert.equal(token.value, undefined);
    const secretName = `coder-${workspaceId}-agent-token`;
    assert.deepEqual(token.valueFrom, { secretKeyRef: { name: secretName, key: "token" } });
    assert.ok(!JSON.stringify(rendered.deployment).includes(AGENT_TOKEN), "the token is not in the Deployment");
    const secret = (rendered.hcl.resource as Record<string, Record<string, Json[]>>).kubernetes_secret!
      .agent_token![0]!;
    assert.deepEqual(secret.data, { token: "${coder_agent.main.token}" });
    assert.equal(secret.count, "${data.coder_workspace.me.start_count}", "the Secret goes away with the workspace");
  });

  it("keeps every choice inside the namespace's LimitRange and names every quota resource", async () => {
    const defaults = namespace.limitRange.containerDefaults;
    const cpuOptions = (
      (rendered.hcl.data as Record<string, Record<string, Json[]>>).coder_parameter!.cpu![0]!.option as Json[]
    ).map((o) => o.value as string);
    const memoryOptions = (
      (rendered.hcl.data as Record<string, Record<string, Json[]>>).coder_parameter!.memory![0]!.option as Json[]
    ).map((o) => o.value as string);
    for (const cpu of cpuOptions) {
      for (const memory of memoryOptions) {
        const r = await render(readTemplate(), { params: { cpu, memory } });
        const res = container(r).resources as { requests: Record<string, string>; limits: Record<string, string> };
        for (const k of ["cpu", "memory", "ephemeral-storage"]) {
          assert.ok(res.requests[k] && res.limits[k], `${k}: the quota needs requests and limits`);
          assert.ok(quantity(res.requests[k]) <= quantity(res.limits[k]), `${k}: request above limit`);
          assert.ok(
            quantity(res.limits[k]) <= quantity(defaults[k]!),
            `${k} ${res.limits[k]} exceeds the LimitRange's ${defaults[k]}`,
          );
        }
      }
    }
    const disk = (rendered.hcl.data as Record<string, Record<string, Json[]>>).coder_parameter!.home_disk_size![0]!;
    const max = (disk.validation as Json[])[0]!.max as number;
    assert.ok(
      quantity(`${max}Gi`) <= quantity(namespace.limitRange.maxPvcSize),
      "home disk above the LimitRange's max PVC",
    );
  });

  it("renders schema-valid Kubernetes objects", async () => {
    await validateKubernetesObject("kubernetes:apps/v1:Deployment", rendered.deployment, "workspace");
    await validateKubernetesObject("kubernetes:core/v1:Pod", rendered.pod, "workspace");
  });
});
