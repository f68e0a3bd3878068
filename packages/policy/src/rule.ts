/**
 * A rule is the pure half of a policy: the recommendation it enforces and a check that returns
 * violations. `policies.ts` turns each rule into a @pulumi/policy policy; tests can call either.
 */
import type { RecommendationId } from "@hardened-coder/kubernetes";
import type { CheckedResource, Finding } from "./model";
import type { PolicySettings, SettingName } from "./config";

interface RuleBase {
  /** The recommendation id, which is also the policy's name. */
  readonly id: RecommendationId;
  /** Settings the check reads (declared in the policy's config schema). */
  readonly settings: readonly SettingName[];
  /** What to do about a violation, in general; each message names the resource and setting. */
  readonly remediation: string;
  /** The resource types whose weakening the rule catches, for the README and the report. */
  readonly guards: readonly string[];
}

/** Checks one resource at a time, before it is created or updated (inputs). */
export interface ResourceRule extends RuleBase {
  readonly kind: "resource";
  check(resource: CheckedResource, settings: PolicySettings): string[];
}

/** Checks the whole stack after the program ran (outputs), for properties spanning resources. */
export interface StackRule extends RuleBase {
  readonly kind: "stack";
  check(resources: readonly CheckedResource[], settings: PolicySettings): Finding[];
}

export type Rule = ResourceRule | StackRule;

/** Runs a resource rule over a list, as a stack rule would, naming each resource in its findings. */
export function findingsOf(rule: Rule, resources: readonly CheckedResource[], settings: PolicySettings): Finding[] {
  if (rule.kind === "stack") return rule.check(resources, settings);
  return resources.flatMap((r) => rule.check(r, settings).map((message) => ({ message, urn: r.urn })));
}
