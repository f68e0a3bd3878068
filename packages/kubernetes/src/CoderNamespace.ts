/**
 * The namespace Coder runs workspaces in: Pod Security Admission at `restricted`, a ResourceQuota and
 * LimitRange sized for the planned workspaces, coderd's ServiceAccount bound to a namespaced Role,
 * the `default` ServiceAccount without a token, and a dedicated workspace ServiceAccount.
 *
 * Object ownership (one owner per object): this component owns the Namespace, the ResourceQuota, the
 * LimitRange, the Role and RoleBinding, coderd's ServiceAccount (when created here) and the workspace
 * ServiceAccount. It owns only `automountServiceAccountToken` of the `default` ServiceAccount, which
 * Kubernetes itself creates, through a server-side-apply patch. `RegistryPullAccount` owns only the
 * `imagePullSecrets` field of the workspace ServiceAccount, through its own patch.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type CapacityPlan, planCapacity } from "./capacity";
import type { CoderdRef } from "./coderd-ref";
import {
  coderWorkspacesNamespaceLabel,
  isDnsSubdomain,
  isValidLabelValue,
  managedByLabels,
  requireDnsLabel,
} from "./labels";

/** Pod Security Admission levels, most to least strict. */
export type PodSecurityLevel = "restricted" | "baseline" | "privileged";

/**
 * What one workspace may use. Containers that state no resources get these as their defaults, and
 * the quota is this shape times the planned workspaces.
 */
export interface WorkspaceShape {
  /**
   * CPU of one workspace (Kubernetes quantity): the default request and limit of a container that
   * states none. Serves storage-quotas (compute share of the quota).
   * @default "2"
   */
  readonly cpu?: string;
  /**
   * Memory of one workspace: the default request and limit of a container that states none.
   * @default "4Gi"
   */
  readonly memory?: string;
  /**
   * Ephemeral storage (container writable layer, logs, emptyDir) of one workspace: the default
   * request and limit of every container that states none. Serves storage-depletion-ephemeral.
   * @default "10Gi"
   */
  readonly ephemeralStorage?: string;
  /**
   * Persistent storage of one workspace, all its PersistentVolumeClaims together (the home volume).
   * Serves storage-depletion-pvc.
   * @default "20Gi"
   */
  readonly storage?: string;
  /**
   * PersistentVolumeClaims one workspace holds.
   * @default 1
   */
  readonly pvcs?: number;
}

/**
 * Explicit hard limits for the namespace, each replacing the one derived from `workspaces` x
 * `workspace`. CPU, memory and ephemeral storage bound both the requests and the limits.
 */
export interface NamespaceQuotaLimits {
  /** `requests.cpu` and `limits.cpu`. @default workspaces with headroom x workspace.cpu */
  readonly cpu?: string;
  /** `requests.memory` and `limits.memory`. @default workspaces with headroom x workspace.memory */
  readonly memory?: string;
  /**
   * `requests.ephemeral-storage` and `limits.ephemeral-storage`.
   * @default workspaces with headroom x workspace.ephemeralStorage
   */
  readonly ephemeralStorage?: string;
  /** `requests.storage` (all PVCs). @default workspaces with headroom x workspace.storage */
  readonly storage?: string;
  /** `pods`. @default the capacity plan's pod quota (workspaces x pods per workspace, with headroom) */
  readonly pods?: number;
  /** `services`. @default the capacity plan's service quota (dev URLs per workspace, with headroom; 0 in Coder v2) */
  readonly services?: number;
  /** `persistentvolumeclaims`. @default workspaces with headroom x workspace.pvcs */
  readonly persistentVolumeClaims?: number;
}

export interface CoderNamespaceArgs {
  /**
   * The namespace's name. The cluster's own namespaces (`default`, `kube-system`, `kube-public`,
   * `kube-node-lease`) are refused: workspaces get a namespace of their own.
   * @default the component's resource name
   */
  readonly name?: string;
  /**
   * Pod Security Admission level enforced on the namespace (audit and warn stay at `restricted`, so
   * every pod that would fail `restricted` is still reported). `baseline` admits Coder's stock
   * Kubernetes template unchanged but lets containers keep Linux capabilities, escalate privileges
   * and run without a seccomp profile. `privileged` (envbox, Docker-in-Docker) gives workspaces the
   * node: refused unless `allowPrivileged` is true. Serves node-user-accounts and node-cloud-access.
   * @default "restricted"
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * Opt-in that `podSecurity: "privileged"` needs. A privileged workspace can take over its node, its
   * node's credentials and every other workspace on it.
   * @default false
   */
  readonly allowPrivileged?: boolean;
  /**
   * The Pod Security Standards version the labels pin (`latest` or `v1.N`).
   * @default "latest"
   */
  readonly podSecurityVersion?: string;
  /**
   * Concurrent workspaces the quota must admit (headroom is added). Plain value: it sizes the quota
   * at plan time. Serves network-ip-depletion-pods and storage-quotas.
   * @default 50 (or `capacity.workspaces`)
   */
  readonly workspaces?: number;
  /**
   * Pods one workspace runs, passed to `planCapacity`. Not allowed together with `capacity`.
   * @default 1
   */
  readonly podsPerWorkspace?: number;
  /**
   * Kubernetes Services one workspace creates (Coder v1 dev URLs), passed to `planCapacity`. Each
   * costs a service IP, so the `services` quota is derived from it. Not allowed with `capacity`.
   * Serves network-ip-depletion-services.
   * @default 0
   */
  readonly devUrlsPerWorkspace?: number;
  /**
   * Room above `workspaces`, in percent, passed to `planCapacity`. Not allowed with `capacity`.
   * @default 50
   */
  readonly headroomPercent?: number;
  /**
   * What one workspace may use; a shape larger than an explicit `quota` is refused, naming both.
   * @default { cpu: "2", memory: "4Gi", ephemeralStorage: "10Gi", storage: "20Gi", pvcs: 1 }
   */
  readonly workspace?: WorkspaceShape;
  /**
   * A plan from `planCapacity` (HardenedCluster passes the one it sized the cluster with), so the
   * quota's pod and service counts match the address ranges.
   * @default planned from `workspaces`, `podsPerWorkspace`, `devUrlsPerWorkspace`, `headroomPercent`
   */
  readonly capacity?: CapacityPlan;
  /**
   * Explicit hard limits, each replacing the derived one. Serves storage-quotas.
   * @default derived from the plan and the workspace shape
   */
  readonly quota?: NamespaceQuotaLimits;
  /**
   * Largest PersistentVolumeClaim the LimitRange admits. Serves storage-depletion-pvc.
   * @default workspace.storage
   */
  readonly maxPvcSize?: string;
  /**
   * coderd (a `CoderControlPlane`, or any `{ namespaceName, serviceAccountName }`): its ServiceAccount,
   * in its own namespace, is bound to this namespace's Role and no coderd ServiceAccount is created
   * here. Serves roles-coder-service-account.
   * @default unset: a ServiceAccount `serviceAccountName` is created in this namespace
   */
  readonly coderd?: CoderdRef;
  /**
   * Name of coderd's ServiceAccount created here when `coderd` is not given: for a coderd outside the
   * cluster, which mints a token for it (`kubectl create token`); it gets no automounted token. A
   * coderd inside the cluster belongs in its own namespace: pass `coderd`.
   * @default "coder"
   */
  readonly serviceAccountName?: string;
  /**
   * Lets coderd create, read, update and delete Secrets in this namespace (never list or watch
   * them), so templates can hand the workspace agent its token through a Secret instead of a plain
   * value in the pod spec (see examples/templates/kubernetes-restricted). This adds little to
   * coderd's reach: whoever may create pods in a namespace may mount any Secret in it. Set false
   * when your templates keep the token in the pod spec, and coderd gets the coder/coder chart's
   * rules alone. Serves roles-coder-service-account.
   * @default true
   */
  readonly agentTokenSecrets?: boolean;
  /**
   * The ServiceAccount templates run workspaces as (`service_account_name` in the template): no
   * token, no Role. `RegistryPullAccount` attaches its pull secret to it.
   * @default "coder-workspace"
   */
  readonly workspaceServiceAccountName?: string;
  /**
   * Extra labels on the namespace and every object created here. Pod Security labels are refused:
   * set `podSecurity`.
   * @default {}
   */
  readonly labels?: Readonly<Record<string, string>>;
}

/** A Kubernetes RBAC rule, as this component emits it. */
export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

/** Verbs coderd needs on workspace objects (the coder/coder v2 chart's workspace permissions). */
export const coderdWorkspaceVerbs = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
] as const;

/** Everything coderd may do in a workspace namespace: pods, PVCs and deployments, nothing else. */
export const coderdWorkspaceRules: readonly RbacRule[] = [
  { apiGroups: [""], resources: ["pods", "persistentvolumeclaims"], verbs: coderdWorkspaceVerbs },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: coderdWorkspaceVerbs },
];

/**
 * What coderd may do with Secrets when `agentTokenSecrets` is on: create and delete the agent-token
 * Secret of each workspace by name; no list or watch, so it cannot enumerate the namespace's Secrets.
 */
export const coderdAgentTokenSecretRule: RbacRule = {
  apiGroups: [""],
  resources: ["secrets"],
  verbs: ["create", "delete", "get", "patch", "update"],
};

/** Namespaces that exist in every cluster and are never a workspace namespace. */
const reservedNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

const podSecurityLevels: readonly PodSecurityLevel[] = ["restricted", "baseline", "privileged"];

/** The plain, fully-specified configuration a `CoderNamespace` is built from. */
export interface CoderNamespaceConfig {
  readonly name: string;
  readonly podSecurity: {
    readonly enforce: PodSecurityLevel;
    readonly audit: PodSecurityLevel;
    readonly warn: PodSecurityLevel;
    readonly version: string;
  };
  /** Labels on the Namespace: Pod Security labels, managed-by labels and the user's. */
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Labels on every other object. */
  readonly labels: Readonly<Record<string, string>>;
  readonly sizing: {
    readonly workspaces: number;
    readonly headroomPercent: number;
    /** Workspaces the quota admits: `workspaces` plus headroom. */
    readonly slots: number;
    readonly podsPerWorkspace: number;
    readonly devUrlsPerWorkspace: number;
    readonly workspace: Required<WorkspaceShape>;
  };
  readonly quota: { readonly name: string; readonly hard: Readonly<Record<string, string>> };
  readonly limitRange: {
    readonly name: string;
    readonly containerDefaults: Readonly<Record<string, string>>;
    readonly maxPvcSize: string;
  };
  readonly role: { readonly name: string; readonly rules: readonly RbacRule[] };
  readonly roleBinding: {
    readonly name: string;
    readonly subject: { readonly kind: "ServiceAccount"; readonly name: string; readonly namespace: string };
  };
  /** Set when coderd's ServiceAccount is created in this namespace (no `coderd` given). */
  readonly coderdServiceAccount?: { readonly name: string };
  readonly workspaceServiceAccountName: string;
}

/** The resolved args where `coderd`'s names are plain strings (as inside `apply`). */
export type CoderNamespacePlainArgs = Omit<CoderNamespaceArgs, "coderd"> & {
  readonly coderd?: { readonly namespaceName: string; readonly serviceAccountName: string };
};

// Kubernetes quantities, exactly: CPU in millicores, the rest in bytes. BigInt because 100,000
// workspaces of 1Ti overflow a double's exact integers.
const binarySuffixes: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const decimalSuffixes: Record<string, bigint> = {
  "": 1n,
  k: 10n ** 3n,
  M: 10n ** 6n,
  G: 10n ** 9n,
  T: 10n ** 12n,
  P: 10n ** 15n,
  E: 10n ** 18n,
};

function quantityError(field: string, value: unknown, example: string, why: string): Error {
  return new Error(`${field}: ${JSON.stringify(value)} ${why}; write a Kubernetes quantity such as ${example}`);
}

/** Parses a quantity into millicores (CPU) or bytes, rounding a fraction up as Kubernetes does. */
function parseQuantity(field: string, value: unknown, kind: "cpu" | "bytes"): bigint {
  const example = kind === "cpu" ? `"2" or "500m"` : `"4Gi"`;
  if (typeof value !== "string") throw quantityError(field, value, example, "is not a string");
  const m = /^(\d+)(?:\.(\d+))?([A-Za-z]*)$/.exec(value);
  if (!m) {
    const why = value.trim().startsWith("-") ? "is negative; sizes must be greater than zero" : "is not a quantity";
    throw quantityError(field, value, example, why);
  }
  const [, whole, frac = "", suffix = ""] = m as unknown as [string, string, string | undefined, string | undefined];
  let multiplier: bigint | undefined;
  if (kind === "cpu") multiplier = suffix === "m" ? 1n : suffix === "" ? 1000n : undefined;
  else multiplier = binarySuffixes[suffix] ?? decimalSuffixes[suffix];
  if (multiplier === undefined) {
    throw quantityError(field, value, example, `has an unknown unit "${suffix}"`);
  }
  const denominator = 10n ** BigInt(frac.length);
  const numerator = (BigInt(whole) * denominator + BigInt(frac || "0")) * multiplier;
  return (numerator + denominator - 1n) / denominator;
}

function positiveQuantity(field: string, value: unknown, kind: "cpu" | "bytes"): bigint {
  const q = parseQuantity(field, value, kind);
  if (q <= 0n) throw quantityError(field, value, kind === "cpu" ? `"2"` : `"4Gi"`, "must be greater than zero");
  return q;
}

function formatQuantity(q: bigint, kind: "cpu" | "bytes"): string {
  if (kind === "cpu") return q % 1000n === 0n ? `${q / 1000n}` : `${q}m`;
  for (const suffix of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
    const unit = binarySuffixes[suffix]!;
    if (q !== 0n && q % unit === 0n) return `${q / unit}${suffix}`;
  }
  return `${q}`;
}

function count(field: string, value: unknown, min: number, max: number, hint: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field}: ${String(value)} is out of range; use a whole number from ${min} to ${max} (${hint})`);
  }
  return value;
}

function requireName(field: string, value: unknown, hint: string): string {
  if (typeof value !== "string" || !isDnsSubdomain(value)) {
    throw new Error(
      `${field}: ${JSON.stringify(value)} is not a valid Kubernetes name; use lower-case letters, digits, '-' ` +
        `and '.', at most 253 characters (${hint})`,
    );
  }
  return value;
}

function checkLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (key.startsWith("pod-security.kubernetes.io/")) {
      throw new Error(`labels: "${key}" is a Pod Security label; set it through podSecurity, not labels`);
    }
    if (key in managedByLabels) {
      throw new Error(`labels: "${key}" is set by hardened-coder so audits can find its objects; remove it`);
    }
    if (key === coderWorkspacesNamespaceLabel && value !== "true") {
      throw new Error(
        `labels: "${key}: ${value}" would hide a workspace namespace from coderd's NetworkPolicy and the policy ` +
          `pack; CoderNamespace sets it to "true", remove it`,
      );
    }
    const slash = key.indexOf("/");
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    const name = key.slice(slash + 1);
    if ((prefix !== undefined && !isDnsSubdomain(prefix)) || name.length === 0 || !isValidLabelValue(name)) {
      throw new Error(`labels: key "${key}" is not a valid label key; use [prefix/]name with name <= 63 characters`);
    }
    if (typeof value !== "string" || !isValidLabelValue(value)) {
      throw new Error(
        `labels: value ${JSON.stringify(value)} of "${key}" is not a valid label value; ` +
          `use <= 63 alphanumerics, '-', '_' or '.'`,
      );
    }
    out[key] = value;
  }
  return out;
}

function tooBig(field: string, value: string, quotaField: string, quotaValue: string, what: string): Error {
  return new Error(
    `${field}: ${value} is larger than ${quotaField} ${quotaValue}, so not even one workspace ${what}; ` +
      `raise ${quotaField} or shrink ${field}`,
  );
}

/**
 * Fills defaults and refuses unsafe or inconsistent values, naming the field. Pure: tests call it
 * directly, and the component calls it again inside `apply` once coderd's names are known.
 */
export function resolveCoderNamespaceArgs(
  args: CoderNamespacePlainArgs = {},
  resourceName?: string,
): CoderNamespaceConfig {
  const name = requireDnsLabel("name", args.name ?? resourceName ?? "");
  if (reservedNamespaces.includes(name)) {
    throw new Error(`name: "${name}" is a namespace every cluster has; give workspaces a namespace of their own`);
  }

  const enforce = args.podSecurity ?? "restricted";
  if (!podSecurityLevels.includes(enforce)) {
    throw new Error(
      `podSecurity: "${String(enforce)}" is not a Pod Security level; use restricted, baseline or privileged`,
    );
  }
  if (enforce === "privileged" && args.allowPrivileged !== true) {
    throw new Error(
      `podSecurity: "privileged" lets a workspace take over its node; set allowPrivileged: true to accept that ` +
        `(envbox / Docker-in-Docker templates), or use "baseline" / "restricted"`,
    );
  }
  if (args.allowPrivileged === true && enforce !== "privileged") {
    throw new Error(`allowPrivileged: true has no effect with podSecurity "${enforce}"; remove it`);
  }
  const version = args.podSecurityVersion ?? "latest";
  if (version !== "latest" && !/^v1\.\d{1,2}$/.test(version)) {
    throw new Error(`podSecurityVersion: "${version}" is not a Pod Security version; use "latest" or e.g. "v1.33"`);
  }
  const userLabels = checkLabels(args.labels ?? {});
  const labels = { ...userLabels, ...managedByLabels };
  // Audit and warn stay at restricted whatever is enforced, so a weakened namespace still reports
  // every pod that would fail the strict profile.
  const podSecurity = { enforce, audit: "restricted", warn: "restricted", version } as const;
  const namespaceLabels = {
    ...labels,
    [coderWorkspacesNamespaceLabel]: "true",
    "pod-security.kubernetes.io/enforce": podSecurity.enforce,
    "pod-security.kubernetes.io/enforce-version": version,
    "pod-security.kubernetes.io/audit": podSecurity.audit,
    "pod-security.kubernetes.io/audit-version": version,
    "pod-security.kubernetes.io/warn": podSecurity.warn,
    "pod-security.kubernetes.io/warn-version": version,
  };

  // Sizing: the plan (given or computed) fixes workspaces, headroom and the pod/service counts.
  let plan: CapacityPlan;
  if (args.capacity !== undefined) {
    if (args.workspaces !== undefined && args.workspaces !== args.capacity.workspaces) {
      throw new Error(
        `workspaces: ${args.workspaces} disagrees with capacity.workspaces ${args.capacity.workspaces}; ` +
          `give one of them`,
      );
    }
    for (const field of ["podsPerWorkspace", "devUrlsPerWorkspace", "headroomPercent"] as const) {
      if (args[field] !== undefined) {
        throw new Error(`${field}: set it in planCapacity when passing capacity, not here`);
      }
    }
    plan = args.capacity;
    count("capacity.quota.pods", plan.quota.pods, 1, 10_000_000, "from planCapacity");
    count("capacity.quota.services", plan.quota.services, 0, 10_000_000, "from planCapacity");
    count("capacity.workspaces", plan.workspaces, 1, 100_000, "from planCapacity");
    count("capacity.headroomPercent", plan.headroomPercent, 0, 1000, "from planCapacity");
  } else {
    plan = planCapacity({
      workspaces: args.workspaces ?? 50,
      ...(args.podsPerWorkspace !== undefined ? { podsPerWorkspace: args.podsPerWorkspace } : {}),
      ...(args.devUrlsPerWorkspace !== undefined ? { devUrlsPerWorkspace: args.devUrlsPerWorkspace } : {}),
      ...(args.headroomPercent !== undefined ? { headroomPercent: args.headroomPercent } : {}),
    });
  }
  const slots = Math.ceil((plan.workspaces * (100 + plan.headroomPercent)) / 100);

  const shapeIn = args.workspace ?? {};
  const cpu = positiveQuantity("workspace.cpu", shapeIn.cpu ?? "2", "cpu");
  const memory = positiveQuantity("workspace.memory", shapeIn.memory ?? "4Gi", "bytes");
  const ephemeral = positiveQuantity("workspace.ephemeralStorage", shapeIn.ephemeralStorage ?? "10Gi", "bytes");
  const storage = positiveQuantity("workspace.storage", shapeIn.storage ?? "20Gi", "bytes");
  const pvcs = count("workspace.pvcs", shapeIn.pvcs ?? 1, 0, 64, "PersistentVolumeClaims per workspace");
  const maxPvc = positiveQuantity("maxPvcSize", args.maxPvcSize ?? formatQuantity(storage, "bytes"), "bytes");
  if (pvcs > 0 && maxPvc * BigInt(pvcs) < storage) {
    throw new Error(
      `maxPvcSize: ${formatQuantity(maxPvc, "bytes")} x workspace.pvcs ${pvcs} cannot hold workspace.storage ` +
        `${formatQuantity(storage, "bytes")}; raise maxPvcSize or lower workspace.storage`,
    );
  }

  const q = args.quota ?? {};
  const quotaCpu = q.cpu !== undefined ? positiveQuantity("quota.cpu", q.cpu, "cpu") : cpu * BigInt(slots);
  const quotaMemory =
    q.memory !== undefined ? positiveQuantity("quota.memory", q.memory, "bytes") : memory * BigInt(slots);
  const quotaEphemeral =
    q.ephemeralStorage !== undefined
      ? positiveQuantity("quota.ephemeralStorage", q.ephemeralStorage, "bytes")
      : ephemeral * BigInt(slots);
  const quotaPvcs =
    q.persistentVolumeClaims !== undefined
      ? count("quota.persistentVolumeClaims", q.persistentVolumeClaims, 0, 1_000_000, "PVCs in the namespace")
      : pvcs * slots;
  const quotaStorage =
    q.storage !== undefined
      ? parseQuantity("quota.storage", q.storage, "bytes")
      : quotaPvcs === 0
        ? 0n
        : storage * BigInt(slots);
  const quotaPods = q.pods !== undefined ? count("quota.pods", q.pods, 1, 10_000_000, "pods") : plan.quota.pods;
  const quotaServices =
    q.services !== undefined ? count("quota.services", q.services, 0, 10_000_000, "Services") : plan.quota.services;

  const fmt = formatQuantity;
  if (cpu > quotaCpu) throw tooBig("workspace.cpu", fmt(cpu, "cpu"), "quota.cpu", fmt(quotaCpu, "cpu"), "fits");
  if (memory > quotaMemory) {
    throw tooBig("workspace.memory", fmt(memory, "bytes"), "quota.memory", fmt(quotaMemory, "bytes"), "fits");
  }
  if (ephemeral > quotaEphemeral) {
    throw tooBig(
      "workspace.ephemeralStorage",
      fmt(ephemeral, "bytes"),
      "quota.ephemeralStorage",
      fmt(quotaEphemeral, "bytes"),
      "fits",
    );
  }
  if (pvcs > quotaPvcs) {
    throw tooBig("workspace.pvcs", `${pvcs}`, "quota.persistentVolumeClaims", `${quotaPvcs}`, "gets its volumes");
  }
  if (pvcs > 0 && storage > quotaStorage) {
    throw tooBig("workspace.storage", fmt(storage, "bytes"), "quota.storage", fmt(quotaStorage, "bytes"), "fits");
  }
  if (pvcs > 0 && maxPvc > quotaStorage) {
    throw tooBig("maxPvcSize", fmt(maxPvc, "bytes"), "quota.storage", fmt(quotaStorage, "bytes"), "volume fits");
  }
  if (plan.podsPerWorkspace > quotaPods) {
    throw tooBig("podsPerWorkspace", `${plan.podsPerWorkspace}`, "quota.pods", `${quotaPods}`, "fits");
  }
  if (plan.devUrlsPerWorkspace > quotaServices) {
    throw tooBig(
      "devUrlsPerWorkspace",
      `${plan.devUrlsPerWorkspace}`,
      "quota.services",
      `${quotaServices}`,
      "gets its Services",
    );
  }

  const hard: Record<string, string> = {
    "requests.cpu": fmt(quotaCpu, "cpu"),
    "limits.cpu": fmt(quotaCpu, "cpu"),
    "requests.memory": fmt(quotaMemory, "bytes"),
    "limits.memory": fmt(quotaMemory, "bytes"),
    "requests.ephemeral-storage": fmt(quotaEphemeral, "bytes"),
    "limits.ephemeral-storage": fmt(quotaEphemeral, "bytes"),
    pods: `${quotaPods}`,
    // Each Service takes an address from the cluster's service range (Coder v1 dev URLs did);
    // load balancers and node ports expose workspaces outside the cluster, so none at all.
    services: `${quotaServices}`,
    "services.loadbalancers": "0",
    "services.nodeports": "0",
    persistentvolumeclaims: `${quotaPvcs}`,
    "requests.storage": fmt(quotaStorage, "bytes"),
  };

  // Requests equal limits (Guaranteed QoS): a workspace that states nothing cannot overcommit its
  // node, and the quota counts it exactly once.
  const containerDefaults = {
    cpu: fmt(cpu, "cpu"),
    memory: fmt(memory, "bytes"),
    "ephemeral-storage": fmt(ephemeral, "bytes"),
  };

  const workspaceSa = requireName(
    "workspaceServiceAccountName",
    args.workspaceServiceAccountName ?? "coder-workspace",
    "the ServiceAccount workspaces run as",
  );
  if (workspaceSa === "default") {
    throw new Error(`workspaceServiceAccountName: "default" is Kubernetes' own account; use a dedicated name`);
  }

  let subject: CoderNamespaceConfig["roleBinding"]["subject"];
  let coderdServiceAccount: CoderNamespaceConfig["coderdServiceAccount"];
  if (args.coderd !== undefined) {
    if (args.serviceAccountName !== undefined) {
      throw new Error(
        `serviceAccountName: only used when coderd is not given; coderd's ServiceAccount is coderd.serviceAccountName`,
      );
    }
    const ns = requireDnsLabel("coderd.namespaceName", args.coderd.namespaceName);
    const sa = requireName("coderd.serviceAccountName", args.coderd.serviceAccountName, "coderd's ServiceAccount");
    if (ns === name && sa === workspaceSa) {
      throw new Error(
        `coderd.serviceAccountName: "${sa}" is also workspaceServiceAccountName; workspaces would run with ` +
          `coderd's permissions: use distinct accounts`,
      );
    }
    subject = { kind: "ServiceAccount", name: sa, namespace: ns };
  } else {
    const sa = requireName("serviceAccountName", args.serviceAccountName ?? "coder", "coderd's ServiceAccount");
    if (sa === "default") {
      throw new Error(`serviceAccountName: "default" is every pod's account; coderd needs a dedicated one`);
    }
    if (sa === workspaceSa) {
      throw new Error(
        `serviceAccountName: "${sa}" is also workspaceServiceAccountName; workspaces would run with coderd's ` +
          `permissions: use distinct accounts`,
      );
    }
    subject = { kind: "ServiceAccount", name: sa, namespace: name };
    coderdServiceAccount = { name: sa };
  }

  return {
    name,
    podSecurity,
    namespaceLabels,
    labels,
    sizing: {
      workspaces: plan.workspaces,
      headroomPercent: plan.headroomPercent,
      slots,
      podsPerWorkspace: plan.podsPerWorkspace,
      devUrlsPerWorkspace: plan.devUrlsPerWorkspace,
      workspace: {
        cpu: fmt(cpu, "cpu"),
        memory: fmt(memory, "bytes"),
        ephemeralStorage: fmt(ephemeral, "bytes"),
        storage: fmt(storage, "bytes"),
        pvcs,
      },
    },
    quota: { name: "workspace-quota", hard },
    limitRange: { name: "workspace-limits", containerDefaults, maxPvcSize: fmt(maxPvc, "bytes") },
    role: {
      name: "coder-workspaces",
      rules:
        args.agentTokenSecrets === false ? coderdWorkspaceRules : [...coderdWorkspaceRules, coderdAgentTokenSecretRule],
    },
    roleBinding: { name: "coder-workspaces", subject },
    ...(coderdServiceAccount ? { coderdServiceAccount } : {}),
    workspaceServiceAccountName: workspaceSa,
  };
}

/** A plain value, or `standIn` when the input is only known later (it is checked again in apply). */
function plainOr<T>(value: pulumi.Input<T>, standIn: T): T {
  return pulumi.Output.isInstance(value) || value instanceof Promise ? standIn : value;
}

/**
 * The namespace Coder runs workspaces in. Children are named `<name>-<role>`, so components of
 * other types sharing the name never collide.
 */
export class CoderNamespace extends pulumi.ComponentResource {
  /** The namespace's name; resolves once the quota, limits, RBAC and ServiceAccounts exist. */
  public readonly namespaceName: pulumi.Output<string>;
  /** The ServiceAccount coderd runs as: coderd's when given, else the one created here. */
  public readonly serviceAccountName: pulumi.Output<string>;
  /** The namespace of that ServiceAccount. */
  public readonly serviceAccountNamespace: pulumi.Output<string>;
  /** The ServiceAccount templates run workspaces as. */
  public readonly workspaceServiceAccountName: pulumi.Output<string>;
  public readonly roleName: pulumi.Output<string>;
  public readonly quotaName: pulumi.Output<string>;
  public readonly limitRangeName: pulumi.Output<string>;
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly resourceQuota: k8s.core.v1.ResourceQuota;
  public readonly limitRange: k8s.core.v1.LimitRange;
  public readonly role: k8s.rbac.v1.Role;
  public readonly roleBinding: k8s.rbac.v1.RoleBinding;
  /** coderd's ServiceAccount, when created here (no `coderd` given). */
  public readonly serviceAccount?: k8s.core.v1.ServiceAccount;
  public readonly workspaceServiceAccount: k8s.core.v1.ServiceAccount;
  /** The patch that turns off token automount on the `default` ServiceAccount. */
  public readonly defaultServiceAccount: k8s.core.v1.ServiceAccountPatch;

  constructor(name: string, args: CoderNamespaceArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const coderdIn = args.coderd;
    const plain: CoderNamespacePlainArgs = {
      ...args,
      coderd: coderdIn && {
        namespaceName: plainOr(coderdIn.namespaceName, "pending-coderd-namespace"),
        serviceAccountName: plainOr(coderdIn.serviceAccountName, "pending-coderd-account"),
      },
    };
    // Resolve before registering anything, so a refused input leaves no half-built component.
    const config = resolveCoderNamespaceArgs(plain, name);
    // coderd's names may arrive as Outputs: checked by the same function once known.
    const subject = coderdIn
      ? pulumi
          .all([coderdIn.namespaceName, coderdIn.serviceAccountName])
          .apply(
            ([namespaceName, serviceAccountName]) =>
              resolveCoderNamespaceArgs({ ...args, coderd: { namespaceName, serviceAccountName } }, name).roleBinding
                .subject,
          )
      : pulumi.output(config.roleBinding.subject);

    super("hardened-coder:kubernetes:CoderNamespace", name, {}, opts);
    const parent = { parent: this };

    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: config.name, labels: config.namespaceLabels } },
      parent,
    );
    const ns = this.namespace.metadata.name;
    const meta = (objectName: string) => ({ name: objectName, namespace: ns, labels: config.labels });

    this.resourceQuota = new k8s.core.v1.ResourceQuota(
      `${name}-quota`,
      { metadata: meta(config.quota.name), spec: { hard: config.quota.hard } },
      parent,
    );
    this.limitRange = new k8s.core.v1.LimitRange(
      `${name}-limits`,
      {
        metadata: meta(config.limitRange.name),
        spec: {
          limits: [
            {
              type: "Container",
              default: config.limitRange.containerDefaults,
              defaultRequest: config.limitRange.containerDefaults,
            },
            { type: "PersistentVolumeClaim", max: { storage: config.limitRange.maxPvcSize } },
          ],
        },
      },
      parent,
    );
    this.role = new k8s.rbac.v1.Role(
      `${name}-role`,
      {
        metadata: meta(config.role.name),
        rules: config.role.rules.map((r) => ({
          apiGroups: [...r.apiGroups],
          resources: [...r.resources],
          verbs: [...r.verbs],
        })),
      },
      parent,
    );
    if (config.coderdServiceAccount) {
      this.serviceAccount = new k8s.core.v1.ServiceAccount(
        `${name}-coderd-sa`,
        { metadata: meta(config.coderdServiceAccount.name), automountServiceAccountToken: false },
        parent,
      );
    }
    this.roleBinding = new k8s.rbac.v1.RoleBinding(
      `${name}-role-binding`,
      {
        metadata: meta(config.roleBinding.name),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: this.role.metadata.name },
        subjects: [subject],
      },
      { parent: this, dependsOn: this.serviceAccount ? [this.serviceAccount] : [] },
    );
    this.workspaceServiceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-workspace-sa`,
      { metadata: meta(config.workspaceServiceAccountName), automountServiceAccountToken: false },
      parent,
    );
    // Kubernetes creates `default` itself; a server-side-apply patch owns just the automount field.
    this.defaultServiceAccount = new k8s.core.v1.ServiceAccountPatch(
      `${name}-default-sa`,
      { metadata: { name: "default", namespace: ns }, automountServiceAccountToken: false },
      parent,
    );

    // Anything placed in the namespace through `namespaceName` waits for the quota, limits and
    // accounts: a LimitRange only applies to pods created after it.
    const ready = pulumi.all([
      this.resourceQuota.metadata.name,
      this.limitRange.metadata.name,
      this.role.metadata.name,
      this.roleBinding.metadata.name,
      this.workspaceServiceAccount.metadata.name,
      this.defaultServiceAccount.metadata.name,
      ...(this.serviceAccount ? [this.serviceAccount.metadata.name] : []),
    ]);
    this.namespaceName = pulumi.all([ns, ready]).apply(([n]) => n);
    this.serviceAccountName = subject.apply((s) => s.name);
    this.serviceAccountNamespace = subject.apply((s) => s.namespace);
    this.workspaceServiceAccountName = this.workspaceServiceAccount.metadata.name;
    this.roleName = this.role.metadata.name;
    this.quotaName = this.resourceQuota.metadata.name;
    this.limitRangeName = this.limitRange.metadata.name;

    this.registerOutputs({
      namespaceName: this.namespaceName,
      serviceAccountName: this.serviceAccountName,
      serviceAccountNamespace: this.serviceAccountNamespace,
      workspaceServiceAccountName: this.workspaceServiceAccountName,
      roleName: this.roleName,
      quotaName: this.quotaName,
      limitRangeName: this.limitRangeName,
    });
  }
}
