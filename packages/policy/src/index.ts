/**
 * @hardened-coder/policy: a Pulumi CrossGuard pack holding stacks to Coder's shared security
 * responsibility recommendations. This module exports the policies as data and starts nothing; the
 * pack itself is `pack.ts` (see PulumiPolicy.yaml).
 */

export {
  policies,
  policyNames,
  policySettings,
  policyGuards,
  policyPackConfig,
  complianceReportOptions,
  rules,
  fromPolicyResource,
  fromValidationArgs,
} from "./policies";
export {
  type PolicySettings,
  type SettingName,
  type PolicyConfigEntry,
  defaultSettings,
  settingsSchema,
  resolveSettings,
  workspaceNamespaceLabelKey,
} from "./config";
export type { CheckedResource, Finding } from "./model";
export type { Rule, ResourceRule, StackRule } from "./rule";
export { findingsOf } from "./rule";
export { coderdConfigOf, type CoderdConfig } from "./coderd";
export { isWorkspaceNamespace, workspaceNamespaces } from "./kubernetes";
