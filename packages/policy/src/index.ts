/**
 * @hardened-coder/policy: a Pulumi CrossGuard pack holding stacks to Coder's shared security
 * responsibility recommendations. This module exports the policies as data and starts nothing; the
 * pack itself is `pack.ts` (see PulumiPolicy.yaml).
 */
import { resolve } from "node:path";

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

/*
 * `pulumi preview --policy-pack <this package's directory>` starts the pack by requiring the
 * directory, which Node resolves through package.json `main` (this module): for Node.js packs the
 * CLI ignores PulumiPolicy.yaml's `main`. So when the CLI's policy runner loads this package as the
 * pack itself (its working directory is this package), start the pack; anything else importing the
 * policies as data (a test, the report, another pack composing them) starts nothing.
 */
if (
  /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run-policy-pack[\\/]/.test(require.main?.filename ?? "") &&
  resolve(process.cwd()) === resolve(__dirname, "..")
) {
  void import("./pack.js");
}
