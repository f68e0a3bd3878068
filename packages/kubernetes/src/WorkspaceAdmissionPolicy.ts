/**
 * A ValidatingAdmissionPolicy and its Binding for the workspace namespace: workspaces run approved
 * images only (registry-approved-images) and get no path onto the node (node-user-accounts).
 *
 * The seed's point is that a registry account cannot stop a user from naming any image the registry
 * holds, or any public image at all; the API server can. The CEL below is built by pure, exported
 * functions so that the tests, the policy pack and the workspace-template test evaluate exactly
 * what is deployed.
 *
 * What is matched, and why:
 * - `pods` on CREATE and UPDATE (an image is mutable on a running pod), and the
 *   `pods/ephemeralcontainers` subresource, through which `kubectl debug` adds containers to a
 *   running pod. The Pod is the boundary: whatever creates pods, this check holds.
 * - The workload kinds that carry a pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet,
 *   Job, CronJob, ReplicationController), checked on their template. Coder's stock Kubernetes
 *   template makes a Deployment: refusing it at once gives the workspace build the rule's message,
 *   where a pod-only check leaves the build waiting for a rollout that never comes.
 * - UPDATEs that leave `spec` unchanged are skipped (a match condition), like Pod Security does:
 *   metadata-only updates, such as a controller removing a finalizer, must not be blocked for an
 *   object admitted under an older, wider approved list.
 *
 * The pod spec is picked by `object.kind`, so the API server's informational type check
 * (`status.typeChecking`) notes fields that one kind lacks; enforcement is unaffected because the
 * API server evaluates admission CEL with `object` typed dynamically.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { isDnsSubdomain, managedByLabels, requireDnsLabel } from "./labels";
import type { RecommendationId } from "./recommendations";

export const workspaceAdmissionPolicyToken = "hardened-coder:kubernetes:WorkspaceAdmissionPolicy";

export interface WorkspaceAdmissionPolicyArgs {
  /** The workspace namespace the policy is bound to (by its `kubernetes.io/metadata.name` label). */
  readonly namespace: pulumi.Input<string>;
  /**
   * Image prefixes a workspace container may use, fully qualified with the registry host
   * (`registry.example.com/coder/`, `123456789012.dkr.ecr.us-west-2.amazonaws.com/coder-workspace`).
   * Each must end at a boundary: `/` (everything under a path), `:` (any tag of one repository) or
   * `@` (any digest of one repository), or be an exact digest reference (`repo@sha256:<64 hex>`). A
   * bare repository or host is normalised to all of its boundaries (`X` -> `X/`, `X:`, `X@`; a host
   * `H` -> `H/`), so `.../coder` never admits `.../coder-evil`. A tag (`repo:1.0`) is refused: it
   * would also admit `repo:1.0-evil`. An empty list is refused. Images in pods must be written fully
   * qualified too (`docker.io/library/ubuntu:22.04`, not `ubuntu:22.04`). Serves
   * registry-approved-images.
   */
  readonly approvedImages: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Also require every image to be pinned by digest (`@sha256:<64 hex>`), so a tag moved in the
   * registry cannot change what runs. Serves registry-approved-images.
   * @default false
   */
  readonly requireDigest?: pulumi.Input<boolean>;
  /**
   * Name of the (cluster-scoped) policy and of its binding.
   * @default `${resourceName}-workspaces`
   */
  readonly name?: pulumi.Input<string>;
}

/** The fully-specified policy that {@link resolveWorkspaceAdmissionPolicyArgs} returns. */
export interface WorkspaceAdmissionPolicyConfig {
  /** Name of the policy and of its binding. */
  readonly name: string;
  readonly namespace: string;
  /** Normalised prefixes: each ends with `/`, `:` or `@`, or is an exact digest reference. */
  readonly approvedImages: readonly string[];
  readonly requireDigest: boolean;
}

/** One CEL validation of the policy, with the rule and recommendation it serves. */
export interface AdmissionValidation {
  /** Stable rule id; the message starts with it. */
  readonly rule: string;
  readonly recommendation: RecommendationId;
  /** CEL over `object` and `variables`; true admits. */
  readonly expression: string;
  readonly message: string;
  readonly reason: "Forbidden";
}

/** A named CEL expression (a policy variable or match condition). */
export interface NamedExpression {
  readonly name: string;
  readonly expression: string;
}

export interface ResourceRule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
}

/**
 * `spec` of the ValidatingAdmissionPolicy, exactly as deployed. A fresh object on every call, in the
 * shape `@pulumi/kubernetes` takes.
 */
export interface WorkspaceAdmissionPolicySpec {
  failurePolicy: "Fail";
  matchConstraints: { resourceRules: ResourceRule[] };
  matchConditions: { name: string; expression: string }[];
  variables: { name: string; expression: string }[];
  validations: { expression: string; message: string; reason: string }[];
}

/** `spec` of the ValidatingAdmissionPolicyBinding, exactly as deployed. */
export interface WorkspaceAdmissionBindingSpec {
  policyName: string;
  validationActions: ["Deny"];
  matchResources: { namespaceSelector: { matchLabels: Record<string, string> } };
}

// The grammar of image references (github.com/distribution/reference), in the parts a prefix uses.
const hostComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const host = `${hostComponent}(?:\\.${hostComponent})*(?::[0-9]{1,5})?`;
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const path = `${pathComponent}(?:/${pathComponent})*`;
const tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
const digest = "sha256:[a-f0-9]{64}";

const hostOnly = new RegExp(`^(${host})/?$`);
const underPath = new RegExp(`^${host}/${path}/$`);
const bareRepository = new RegExp(`^${host}/${path}$`);
const repositoryBoundary = new RegExp(`^${host}/${path}[:@]$`);
const exactDigest = new RegExp(`^${host}/${path}(?::${tag})?@${digest}$`);
const tagged = new RegExp(`^(${host}/${path}):${tag}$`);

/** Distribution's rule: the first component is a registry host if it has a `.` or a port, or is localhost. */
function isRegistryHost(first: string): boolean {
  return first.includes(".") || first.includes(":") || first === "localhost";
}

/** Whether `prefix` is already in normal form (what {@link normaliseApprovedImage} returns). */
export function isNormalisedImagePrefix(prefix: string): boolean {
  const first = prefix.split("/")[0]!;
  return (
    isRegistryHost(first) &&
    ((hostOnly.test(prefix) && prefix.endsWith("/")) ||
      underPath.test(prefix) ||
      repositoryBoundary.test(prefix) ||
      exactDigest.test(prefix))
  );
}

/**
 * Turns one approved-image entry into the prefixes it stands for, or throws naming `field`.
 * See {@link WorkspaceAdmissionPolicyArgs.approvedImages} for the rules.
 */
export function normaliseApprovedImage(entry: unknown, field = "approvedImages"): string[] {
  if (typeof entry !== "string" || entry.trim() === "") {
    throw new Error(
      `${field}: ${JSON.stringify(entry)} is not an image prefix; use a registry path such as "registry.example.com/coder/"`,
    );
  }
  const first = entry.split("/")[0]!;
  if (!isRegistryHost(first)) {
    const suggestion = entry.includes("/") ? `docker.io/${entry}` : `docker.io/library/${entry}`;
    throw new Error(
      `${field}: "${entry}" does not start with a registry host; the policy compares the image text a pod ` +
        `spec holds, so name the registry, e.g. "${suggestion}"`,
    );
  }
  if (isNormalisedImagePrefix(entry)) return [entry];
  const hostMatch = hostOnly.exec(entry);
  if (hostMatch) return [`${hostMatch[1]}/`];
  if (bareRepository.test(entry)) return [`${entry}/`, `${entry}:`, `${entry}@`];
  const tagMatch = tagged.exec(entry);
  if (tagMatch) {
    throw new Error(
      `${field}: "${entry}" is a tag, and as a prefix it would also admit "${entry}-evil"; approve the ` +
        `repository ("${tagMatch[1]}:") or pin a digest ("${tagMatch[1]}@sha256:<digest>")`,
    );
  }
  throw new Error(
    `${field}: "${entry}" is not an image prefix; use a registry host and lower-case path ending in "/" ` +
      `(everything under it), ":" (any tag of one repository) or "@" (any digest), e.g. "registry.example.com/coder/"`,
  );
}

/** Quotes `value` as a CEL string literal (single quotes), escaping whatever could end or bend it. */
export function celStringLiteral(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\" || ch === "'" || ch === '"') out += `\\${ch}`;
    else if (code >= 0xd800 && code <= 0xdfff) {
      throw new Error(`celStringLiteral: lone surrogate U+${code.toString(16)} is not valid text`);
    } else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return `${out}'`;
}

/**
 * Fills defaults and refuses an unsafe or malformed policy with an Error naming the field. Pure:
 * the component calls it eagerly on plain args and inside `apply` when args arrive as Outputs
 * (the clouds pass repository URLs). `resourceName` is the component's name (for the default name).
 */
export function resolveWorkspaceAdmissionPolicyArgs(
  args: pulumi.Unwrap<WorkspaceAdmissionPolicyArgs>,
  resourceName: string,
): WorkspaceAdmissionPolicyConfig {
  const namespace = requireDnsLabel("namespace", args.namespace);
  const list: unknown = args.approvedImages;
  if (!Array.isArray(list)) {
    throw new Error(
      `approvedImages: ${JSON.stringify(list)} is not a list; pass image prefixes, e.g. ["registry.example.com/coder/"]`,
    );
  }
  if (list.length === 0) {
    throw new Error(
      `approvedImages: the list is empty, so no workspace could start; name at least one registry prefix, ` +
        `e.g. ["registry.example.com/coder/"]`,
    );
  }
  const approvedImages = [
    ...new Set(list.flatMap((entry, i) => normaliseApprovedImage(entry, `approvedImages[${i}]`))),
  ];
  const requireDigest = args.requireDigest ?? false;
  if (typeof requireDigest !== "boolean") {
    throw new Error(`requireDigest: ${JSON.stringify(requireDigest)} is not a boolean; use true or false`);
  }
  const name = args.name ?? `${resourceName}-workspaces`;
  if (typeof name !== "string" || !isDnsSubdomain(name)) {
    throw new Error(
      `name: ${JSON.stringify(name)} is not a valid policy name; use lower-case letters, digits, '-' and '.'` +
        `${args.name === undefined ? " (it defaults to `<resource name>-workspaces`: pass name)" : ""}`,
    );
  }
  return { name, namespace, approvedImages, requireDigest };
}

/** Pods, their `kubectl debug` subresource, and every workload kind that carries a pod template. */
export const workspaceAdmissionResourceRules: readonly Readonly<ResourceRule>[] = [
  {
    apiGroups: [""],
    apiVersions: ["v1"],
    operations: ["CREATE", "UPDATE"],
    resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers"],
  },
  {
    apiGroups: ["apps"],
    apiVersions: ["v1"],
    operations: ["CREATE", "UPDATE"],
    resources: ["deployments", "replicasets", "statefulsets", "daemonsets"],
  },
  { apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["jobs", "cronjobs"] },
];

/** The spec builders take resolved config only: a raw prefix here would go into CEL unchecked. */
function requireNormalised(approvedImages: readonly string[]): void {
  for (const prefix of approvedImages) {
    if (typeof prefix !== "string" || !isNormalisedImagePrefix(prefix)) {
      throw new Error(
        `approvedImages: ${JSON.stringify(prefix)} is not normalised; pass the list through resolveWorkspaceAdmissionPolicyArgs`,
      );
    }
  }
}

/** Policy variables: the pod spec of any matched kind, all its containers, and the approved list. */
export function admissionVariables(config: Pick<WorkspaceAdmissionPolicyConfig, "approvedImages">): NamedExpression[] {
  requireNormalised(config.approvedImages);
  const spec = "variables.podSpec";
  return [
    {
      name: "podSpec",
      expression:
        "object.kind == 'Pod' ? object.spec : " +
        "(object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)",
    },
    {
      name: "containers",
      expression:
        `${spec}.containers` +
        ` + (has(${spec}.initContainers) ? ${spec}.initContainers : [])` +
        ` + (has(${spec}.ephemeralContainers) ? ${spec}.ephemeralContainers : [])`,
    },
    { name: "approvedPrefixes", expression: `[${config.approvedImages.map(celStringLiteral).join(", ")}]` },
  ];
}

/** Skip UPDATEs that leave the spec as it was (metadata, finalizers); see the module comment. */
export const admissionMatchConditions: readonly NamedExpression[] = [
  {
    name: "create-or-spec-changed",
    expression: "request.operation != 'UPDATE' || oldObject == null || object.spec != oldObject.spec",
  },
];

const everyContainer = (predicate: string) => `variables.containers.all(c, ${predicate})`;
/** `base.a.b != true`, guarded so that an absent `a` or `b` reads as not true. */
const notTrue = (base: string, field: string) => {
  const parts = field.split(".");
  const guards = parts.map((_, i) => `!has(${base}.${parts.slice(0, i + 1).join(".")})`);
  return `${guards.join(" || ")} || ${base}.${field} != true`;
};

/**
 * The CEL validations, in order. Every expression is total over well-formed objects: absent
 * optional fields are guarded with `has()`, so only a malformed object makes one error (and the
 * policy's failurePolicy Fail then refuses it). Uses only standard CEL, which Kubernetes supports.
 */
export function admissionValidations(
  config: Pick<WorkspaceAdmissionPolicyConfig, "approvedImages" | "requireDigest">,
): AdmissionValidation[] {
  requireNormalised(config.approvedImages);
  const where = "in a workspace namespace";
  const rule = (
    id: string,
    recommendation: RecommendationId,
    expression: string,
    what: string,
  ): AdmissionValidation => ({
    rule: id,
    recommendation,
    expression,
    message: `${id}: ${what}`,
    reason: "Forbidden",
  });
  const validations = [
    rule(
      "approved-images",
      "registry-approved-images",
      everyContainer("has(c.image) && variables.approvedPrefixes.exists(p, c.image.startsWith(p))"),
      `every container, initContainer and ephemeralContainer image ${where} must start with an approved prefix ` +
        `(${config.approvedImages.join(", ")})`,
    ),
  ];
  if (config.requireDigest) {
    validations.push(
      rule(
        "image-digest",
        "registry-approved-images",
        everyContainer("has(c.image) && c.image.matches('@sha256:[a-f0-9]{64}$')"),
        `every container, initContainer and ephemeralContainer image ${where} must be pinned by digest (@sha256:<64 hex>)`,
      ),
    );
  }
  validations.push(
    rule(
      "no-privileged",
      "node-user-accounts",
      everyContainer(notTrue("c", "securityContext.privileged")),
      `privileged containers are not allowed ${where} (securityContext.privileged: true)`,
    ),
    rule(
      "no-privilege-escalation",
      "node-user-accounts",
      everyContainer(notTrue("c", "securityContext.allowPrivilegeEscalation")),
      `containers ${where} must not allow privilege escalation (securityContext.allowPrivilegeEscalation: true)`,
    ),
    rule(
      "no-added-capabilities",
      "node-user-accounts",
      everyContainer(
        "!has(c.securityContext) || !has(c.securityContext.capabilities) || " +
          "!has(c.securityContext.capabilities.add) || " +
          "c.securityContext.capabilities.add.all(k, k == 'NET_BIND_SERVICE')",
      ),
      `containers ${where} may add no capability but NET_BIND_SERVICE (securityContext.capabilities.add)`,
    ),
    rule(
      "no-host-network",
      "node-user-accounts",
      notTrue("variables.podSpec", "hostNetwork"),
      `pods ${where} must not use the node's network (hostNetwork: true)`,
    ),
    rule(
      "no-host-pid",
      "node-user-accounts",
      notTrue("variables.podSpec", "hostPID"),
      `pods ${where} must not share the node's process namespace (hostPID: true)`,
    ),
    rule(
      "no-host-ipc",
      "node-user-accounts",
      notTrue("variables.podSpec", "hostIPC"),
      `pods ${where} must not share the node's IPC namespace (hostIPC: true)`,
    ),
    rule(
      "no-host-path",
      "node-user-accounts",
      "!has(variables.podSpec.volumes) || variables.podSpec.volumes.all(v, !has(v.hostPath))",
      `pods ${where} must not mount node directories (volumes[].hostPath)`,
    ),
    rule(
      "no-host-ports",
      "node-user-accounts",
      everyContainer("!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0)"),
      `containers ${where} must not bind node ports, which bypass NetworkPolicy (ports[].hostPort)`,
    ),
  );
  return validations;
}

/** The ValidatingAdmissionPolicy's `spec`, exactly as deployed. Pure. */
export function workspaceAdmissionPolicySpec(
  config: Pick<WorkspaceAdmissionPolicyConfig, "approvedImages" | "requireDigest">,
): WorkspaceAdmissionPolicySpec {
  return {
    failurePolicy: "Fail",
    matchConstraints: {
      resourceRules: workspaceAdmissionResourceRules.map((r) => ({
        apiGroups: [...r.apiGroups],
        apiVersions: [...r.apiVersions],
        operations: [...r.operations],
        resources: [...r.resources],
      })),
    },
    matchConditions: admissionMatchConditions.map((c) => ({ ...c })),
    variables: admissionVariables(config),
    validations: admissionValidations(config).map(({ expression, message, reason }) => ({
      expression,
      message,
      reason,
    })),
  };
}

/** The ValidatingAdmissionPolicyBinding's `spec`, exactly as deployed. Pure. */
export function workspaceAdmissionBindingSpec(
  config: Pick<WorkspaceAdmissionPolicyConfig, "name" | "namespace">,
): WorkspaceAdmissionBindingSpec {
  return {
    policyName: config.name,
    validationActions: ["Deny"],
    matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": config.namespace } } },
  };
}

/** True when `value` holds no Output or Promise anywhere, so it can be checked before registering. */
function isKnownPlain(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
  if (Array.isArray(value)) return value.every(isKnownPlain);
  if (typeof value === "object" && value !== null) return Object.values(value).every(isKnownPlain);
  return true;
}

/**
 * When some args are Outputs (the namespace of a CoderNamespace, say), still refuse the ones that
 * are known before anything is registered: the unknown ones stand in as valid values here and are
 * checked for real inside `apply`.
 */
function checkKnownFields(args: WorkspaceAdmissionPolicyArgs, resourceName: string): void {
  const pick = <T>(value: unknown, standIn: T): T => (isKnownPlain(value) ? (value as T) : standIn);
  resolveWorkspaceAdmissionPolicyArgs(
    {
      namespace: pick(args.namespace, "unknown"),
      approvedImages: pick(args.approvedImages, ["unknown.invalid/"]),
      requireDigest: pick(args.requireDigest, false),
      name: pick(args.name, "unknown"),
    },
    resourceName,
  );
}

/**
 * Admission control for a workspace namespace: approved images only, and no privileged, host
 * namespace, hostPath or host port escape to the node (registry-approved-images, node-user-accounts).
 *
 * ```ts
 * new hc.WorkspaceAdmissionPolicy("coder", { namespace: ns.namespaceName, approvedImages: ["registry.example.com/coder/"] });
 * ```
 */
export class WorkspaceAdmissionPolicy extends pulumi.ComponentResource {
  public readonly policyName: pulumi.Output<string>;
  public readonly bindingName: pulumi.Output<string>;
  /** The approved prefixes after normalisation, as the policy enforces them. */
  public readonly approvedImages: pulumi.Output<string[]>;
  public readonly policy: k8s.admissionregistration.v1.ValidatingAdmissionPolicy;
  public readonly binding: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding;

  constructor(name: string, args: WorkspaceAdmissionPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    const known = isKnownPlain(args)
      ? resolveWorkspaceAdmissionPolicyArgs(args as pulumi.Unwrap<WorkspaceAdmissionPolicyArgs>, name)
      : undefined;
    if (!known) checkKnownFields(args, name);
    super(workspaceAdmissionPolicyToken, name, {}, opts);

    const config: pulumi.Output<WorkspaceAdmissionPolicyConfig> = known
      ? pulumi.output(known)
      : pulumi.output(args).apply((a) => resolveWorkspaceAdmissionPolicyArgs(a, name));

    this.policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-policy`,
      {
        metadata: { name: config.name, labels: managedByLabels },
        spec: config.apply(workspaceAdmissionPolicySpec),
      },
      { parent: this },
    );
    this.binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-binding`,
      {
        metadata: { name: config.name, labels: managedByLabels },
        // The policy's own name output, so the binding waits for the policy it names.
        spec: pulumi
          .all([config, this.policy.metadata.name])
          .apply(([c, policyName]) => workspaceAdmissionBindingSpec({ ...c, name: policyName })),
      },
      { parent: this },
    );
    this.policyName = this.policy.metadata.name;
    this.bindingName = this.binding.metadata.name;
    this.approvedImages = config.apply((c) => [...c.approvedImages]);

    this.registerOutputs({
      policyName: this.policyName,
      bindingName: this.bindingName,
      approvedImages: this.approvedImages,
    });
  }
}
