/**
 * The pack's policies as data: one per enforceable recommendation of the catalog, named after its
 * id. Importing this module starts nothing; `pack.ts` serves these to the Pulumi engine.
 */
import type {
  EnforcementLevel,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  type ComplianceReportOptions,
  type RecommendationId,
  recommendation,
  recommendationIds,
} from "@hardened-coder/kubernetes";
import type { CheckedResource } from "./model";
import type { Rule } from "./rule";
import {
  type PolicyConfigEntry,
  type PolicySettings,
  type SettingName,
  configSchemaFor,
  resolveSettings,
  writePolicyPackConfig,
} from "./config";
import { storageRules } from "./rules/storage";
import { gitSshAndHttps, networkRules } from "./rules/network";
import { roleRules } from "./rules/roles";
import { nodeRules } from "./rules/nodes";
import { coderRules } from "./rules/coder";
import { registryRules } from "./rules/registry";

/** Every rule, in the catalog's order. */
export const rules: readonly Rule[] = [
  ...storageRules,
  ...networkRules,
  ...roleRules,
  ...nodeRules,
  ...coderRules,
  ...registryRules,
  gitSshAndHttps,
].sort((a, b) => order(a.id) - order(b.id));

function order(id: RecommendationId): number {
  return recommendationIds.indexOf(id);
}

/** The engine's resource, in the shape the checks read. */
export function fromValidationArgs(args: ResourceValidationArgs): CheckedResource {
  return {
    type: args.type,
    urn: args.urn,
    name: args.name,
    props: args.props as Record<string, unknown>,
    ...(args.provider ? { provider: args.provider.urn } : {}),
    dependencies: [],
  };
}

export function fromPolicyResource(r: PolicyResource): CheckedResource {
  return {
    type: r.type,
    urn: r.urn,
    name: r.name,
    props: r.props as Record<string, unknown>,
    ...(r.provider ? { provider: r.provider.urn } : {}),
    dependencies: r.dependencies.map((d) => d.urn),
  };
}

function settingsOf(args: { getConfig<T extends object>(): T }): PolicySettings {
  return resolveSettings(args.getConfig<Partial<Record<SettingName, unknown>>>());
}

function describe(rule: Rule): string {
  const rec = recommendation(rule.id);
  const who = rec.responsibility === "coder" ? "Coder's responsibility" : "the site admin's responsibility";
  return `${rec.text} (${rec.section}; ${who}). ${rule.remediation}`;
}

function toPolicy(rule: Rule): ResourceValidationPolicy | StackValidationPolicy {
  const common = {
    name: rule.id,
    description: describe(rule),
    enforcementLevel: "mandatory" as const,
    severity: "high" as const,
    tags: ["coder", "shared-security-responsibility", recommendation(rule.id).section],
    remediationSteps: rule.remediation,
    configSchema: configSchemaFor(rule.settings),
  };
  if (rule.kind === "resource") {
    return {
      ...common,
      validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
        for (const message of rule.check(fromValidationArgs(args), settingsOf(args))) report(message);
      },
    };
  }
  return {
    ...common,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const resources = args.resources.map(fromPolicyResource);
      for (const f of rule.check(resources, settingsOf(args))) report(f.message, f.urn);
    },
  };
}

/** The pack's policies, one per enforceable recommendation id, each named after it. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = rules.map(toPolicy);

/** The recommendation ids the pack enforces (every catalog id whose enforcement is not "documented"). */
export const policyNames: readonly RecommendationId[] = rules.map((r) => r.id);

/** Which settings each policy reads. */
export const policySettings: Readonly<Record<string, readonly SettingName[]>> = Object.fromEntries(
  rules.map((r) => [r.id, r.settings]),
);

/**
 * The JSON for `pulumi preview --policy-pack <dir> --policy-pack-config <file>`: `settings` written
 * into every policy that reads them, and per-policy enforcement levels (e.g. to make one advisory).
 */
export function policyPackConfig(
  settings: Partial<PolicySettings> = {},
  enforcementLevels: Readonly<Partial<Record<RecommendationId | "all", EnforcementLevel>>> = {},
): Record<string, PolicyConfigEntry | EnforcementLevel> {
  const levels: Record<string, EnforcementLevel> = {};
  for (const [k, v] of Object.entries(enforcementLevels)) if (v) levels[k] = v;
  return writePolicyPackConfig(policySettings, settings, levels);
}

/** Resource types each policy checks, by id: pass as `guards` to `complianceReport`. */
export const policyGuards: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  rules.map((r) => [r.id, r.guards]),
);

/**
 * Options that keep `complianceReport` consistent with this pack: the ids it enforces and the
 * resource types each policy checks.
 */
export function complianceReportOptions(stackName?: string): ComplianceReportOptions {
  return { ...(stackName !== undefined ? { stackName } : {}), policyIds: policyNames, guards: policyGuards };
}
