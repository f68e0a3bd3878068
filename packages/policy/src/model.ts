/**
 * The one shape every check reads: a resource as the policy engine shows it (type token, URN,
 * name, properties), whether it arrives one at a time (`validateResource`, inputs) or with the whole
 * stack (`validateStack`, outputs). Checks are pure functions of these, so tests and the pack run the
 * same code.
 */

export type Props = Record<string, unknown>;

export interface CheckedResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  readonly props: Props;
  /** URN of the provider resource, when the engine names one (tells clusters apart). */
  readonly provider?: string;
  /** URNs this resource depends on (stack checks only; empty for single-resource checks). */
  readonly dependencies: readonly string[];
}

/** One violation: what is wrong, on which resource (stack checks name it; resource checks omit it). */
export interface Finding {
  readonly message: string;
  readonly urn?: string;
}

/** Reads a dotted path (`spec.hard.pods`); array indexes are path segments too. */
export function at(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function str(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** `true` or `"true"` (providers and Helm values carry booleans either way). */
export function isTrue(value: unknown): boolean {
  return value === true || (typeof value === "string" && value.trim().toLowerCase() === "true");
}

/** `false` or `"false"`, explicitly: an unset value is neither. */
export function isFalse(value: unknown): boolean {
  return value === false || (typeof value === "string" && value.trim().toLowerCase() === "false");
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function strings(value: unknown): string[] {
  return list(value)
    .map(str)
    .filter((s): s is string => s !== undefined);
}

export function record(value: unknown): Props {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Props) : {};
}

/** A provider block that is either one object or a one-element list (provider versions differ). */
export function block(value: unknown): Props {
  return Array.isArray(value) ? record(value[0]) : record(value);
}

/** `aws:eks/cluster:Cluster "coder"`: how messages name a resource. */
export function label(r: Pick<CheckedResource, "type" | "name">): string {
  return `${r.type} "${r.name}"`;
}

/** A violation message: the resource, the setting and what is wrong with it, then the fix. */
export function violation(
  r: Pick<CheckedResource, "type" | "name">,
  setting: string,
  problem: string,
  fix: string,
): string {
  return `${label(r)}: ${setting} ${problem}. Fix: ${fix}.`;
}

/**
 * The type chain a URN encodes, outermost ancestor first and the resource's own type last:
 * `urn:pulumi:dev::proj::hardened-coder:kubernetes:CoderNamespace$kubernetes:core/v1:Namespace::coder`
 * gives `["hardened-coder:kubernetes:CoderNamespace", "kubernetes:core/v1:Namespace"]`.
 */
export function urnTypeChain(urn: string): string[] {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts[2]!.split("$") : [];
}

/** The type of the resource's parent, as its URN records it (undefined at the stack's top level). */
export function parentTypeOf(urn: string): string | undefined {
  const chain = urnTypeChain(urn);
  return chain.length >= 2 ? chain[chain.length - 2] : undefined;
}
