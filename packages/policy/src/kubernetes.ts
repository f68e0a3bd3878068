/**
 * Reading Kubernetes objects as the policy engine shows them (`kubernetes:<group>/<version>:<Kind>`
 * with the object's fields as properties), and finding the namespaces Coder runs workspaces in.
 */
import { type CheckedResource, type Props, at, list, parentTypeOf, record, str, strings } from "./model";
import type { PolicySettings } from "./config";

/** The Kind of a Kubernetes type token, or undefined for other providers and for Helm/YAML groups. */
export function kindOf(type: string): string | undefined {
  const m = /^kubernetes:([^/]+)\/[^:]+:([A-Z][A-Za-z]*)$/.exec(type);
  if (!m || m[1] === "helm.sh" || m[1] === "yaml" || m[1] === "kustomize") return undefined;
  return m[2];
}

export function isKind(r: Pick<CheckedResource, "type">, ...kinds: string[]): boolean {
  const k = kindOf(r.type);
  return k !== undefined && kinds.includes(k);
}

export function objectName(r: CheckedResource): string {
  return str(at(r.props, "metadata.name")) ?? r.name;
}

/** The object's namespace (`default` when unset, as the API server would place it). */
export function objectNamespace(r: CheckedResource): string {
  return str(at(r.props, "metadata.namespace")) ?? "default";
}

export function labelsOf(r: CheckedResource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(at(r.props, "metadata.labels")))) {
    const s = str(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

export function annotationsOf(r: CheckedResource): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(at(r.props, "metadata.annotations")))) {
    const s = str(v);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

/** Workload kinds whose pods the stack declares, and where their pod spec lives. */
const podSpecPaths: Readonly<Record<string, string>> = {
  Pod: "spec",
  Deployment: "spec.template.spec",
  StatefulSet: "spec.template.spec",
  DaemonSet: "spec.template.spec",
  ReplicaSet: "spec.template.spec",
  ReplicationController: "spec.template.spec",
  Job: "spec.template.spec",
  CronJob: "spec.jobTemplate.spec.template.spec",
};

export function podSpecOf(r: CheckedResource): Props | undefined {
  const kind = kindOf(r.type);
  const path = kind ? podSpecPaths[kind] : undefined;
  return path ? record(at(r.props, path)) : undefined;
}

/** Every container of a pod spec: containers, init containers and ephemeral containers. */
export function containersOf(podSpec: Props): Props[] {
  return [...list(podSpec.containers), ...list(podSpec.initContainers), ...list(podSpec.ephemeralContainers)].map(
    record,
  );
}

/** Cluster identity: the provider's URN, so objects of two clusters in one stack are not mixed. */
export function clusterOf(r: CheckedResource): string {
  return r.provider ?? "";
}

export interface WorkspaceNamespace {
  readonly name: string;
  readonly cluster: string;
  /** The Namespace resource, when the stack declares it (absent for configured names only). */
  readonly resource?: CheckedResource;
}

function parseLabel(selector: string): [string, string] {
  const i = selector.indexOf("=");
  return [selector.slice(0, i), selector.slice(i + 1)];
}

/** Type token of the component that makes workspace namespaces. */
export const coderNamespaceToken = "hardened-coder:kubernetes:CoderNamespace";

/**
 * True when a Namespace is a Coder workspace namespace: declared by a `CoderNamespace` (its URN says
 * so), labelled `workspaceNamespaceLabel`, or named in `workspaceNamespaces`.
 */
export function isWorkspaceNamespace(r: CheckedResource, settings: PolicySettings): boolean {
  if (!isKind(r, "Namespace")) return false;
  const [key, value] = parseLabel(settings.workspaceNamespaceLabel);
  return (
    parentTypeOf(r.urn) === coderNamespaceToken ||
    labelsOf(r)[key] === value ||
    settings.workspaceNamespaces.includes(objectName(r))
  );
}

/**
 * The stack's workspace namespaces: every labelled or configured Namespace it declares, plus
 * configured names it does not declare (a namespace made elsewhere, in whatever cluster).
 */
export function workspaceNamespaces(
  resources: readonly CheckedResource[],
  settings: PolicySettings,
): WorkspaceNamespace[] {
  const found: WorkspaceNamespace[] = resources
    .filter((r) => isWorkspaceNamespace(r, settings))
    .map((r) => ({ name: objectName(r), cluster: clusterOf(r), resource: r }));
  for (const name of settings.workspaceNamespaces) {
    if (!found.some((n) => n.name === name)) found.push({ name, cluster: "*" });
  }
  return found;
}

/** The namespaced objects of `kinds` that live in namespace `ns`. */
export function objectsIn(
  resources: readonly CheckedResource[],
  ns: WorkspaceNamespace,
  ...kinds: string[]
): CheckedResource[] {
  return resources.filter(
    (r) => isKind(r, ...kinds) && objectNamespace(r) === ns.name && (ns.cluster === "*" || clusterOf(r) === ns.cluster),
  );
}

/** Whether a LabelSelector (matchLabels/matchExpressions) selects every object (is empty). */
export function selectsAll(selector: unknown): boolean {
  const s = record(selector);
  return Object.keys(record(s.matchLabels)).length === 0 && list(s.matchExpressions).length === 0;
}

/** Whether a LabelSelector matches a set of labels (In/NotIn/Exists/DoesNotExist). */
export function selectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  const s = record(selector);
  for (const [k, v] of Object.entries(record(s.matchLabels))) if (labels[k] !== str(v)) return false;
  for (const e of list(s.matchExpressions).map(record)) {
    const key = str(e.key) ?? "";
    const values = strings(e.values);
    const has = key in labels;
    switch (str(e.operator)) {
      case "In":
        if (!has || !values.includes(labels[key]!)) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The labels a namespace has, including the one the API server adds (`kubernetes.io/metadata.name`). */
export function namespaceLabels(ns: WorkspaceNamespace): Record<string, string> {
  return { ...(ns.resource ? labelsOf(ns.resource) : {}), "kubernetes.io/metadata.name": ns.name };
}

/** Quantities of a ResourceQuota's `spec.hard`, merged over every quota in the namespace. */
export function quotaKeys(quotas: readonly CheckedResource[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const q of quotas) {
    for (const [k, v] of Object.entries(record(at(q.props, "spec.hard")))) keys.set(k, str(v) ?? "");
  }
  return keys;
}
