/**
 * What the pack can be told about a stack. @pulumi/policy configures each policy on its own (a
 * `--policy-pack-config` file maps a policy name to its settings and `enforcementLevel`), so every
 * policy declares the subset of these settings it reads, and `policyPackConfig` writes the same
 * settings into each policy that reads them.
 */
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import type { EnforcementLevel } from "@pulumi/policy";

/**
 * The label that marks a workspace namespace (the one `CoderControlPlane`'s NetworkPolicy admits
 * agents from). Namespaces a `CoderNamespace` declares are recognised by their URN without it.
 */
export const workspaceNamespaceLabelKey = "hardened-coder/workspaces";

export interface PolicySettings {
  /**
   * Names of the Kubernetes namespaces Coder runs workspaces in, for stacks that do not use
   * `CoderNamespace` (whose namespaces are recognised by their URN) nor `workspaceNamespaceLabel`.
   * @default []
   */
  readonly workspaceNamespaces: readonly string[];
  /**
   * `key=value` label that marks a Namespace as a Coder workspace namespace.
   * @default "hardened-coder/workspaces=true"
   */
  readonly workspaceNamespaceLabel: string;
  /**
   * Image prefixes workspaces may run (e.g. `registry.example.com/coder/`). When empty, the
   * registry-approved-images policy checks only that an admission policy guards each workspace
   * namespace; when set, it also checks every workload the stack declares in those namespaces.
   * @default []
   */
  readonly approvedImagePrefixes: readonly string[];
  /**
   * coderd's ServiceAccounts as `namespace/name`, besides the ones the pack finds itself (the coder
   * chart's, a coderd Deployment's, and any ServiceAccount named in `coderdServiceAccountNames`).
   * @default []
   */
  readonly coderdServiceAccounts: readonly string[];
  /**
   * ServiceAccount names taken as coderd's in any namespace (the coder chart's default is `coder`).
   * @default ["coder"]
   */
  readonly coderdServiceAccountNames: readonly string[];
  /**
   * The oldest Kubernetes minor version a cluster may run (EKS `version`, GKE `minMasterVersion`):
   * the oldest still in standard support. Raise it as versions leave support.
   * @default "1.34"
   */
  readonly minimumKubernetesVersion: string;
}

export const defaultSettings: PolicySettings = {
  workspaceNamespaces: [],
  workspaceNamespaceLabel: `${workspaceNamespaceLabelKey}=true`,
  approvedImagePrefixes: [],
  coderdServiceAccounts: [],
  coderdServiceAccountNames: ["coder"],
  minimumKubernetesVersion: "1.34",
};

export type SettingName = keyof PolicySettings;

const stringList = (description: string): PolicyConfigJSONSchema => ({
  type: "array",
  items: { type: "string", minLength: 1 },
  description,
});

/** JSON schema of each setting, as a policy's `configSchema.properties` entry. */
export const settingsSchema: Readonly<Record<SettingName, PolicyConfigJSONSchema>> = {
  workspaceNamespaces: stringList("Namespaces Coder runs workspaces in (besides the labelled ones)."),
  workspaceNamespaceLabel: {
    type: "string",
    pattern: "^[^=]+=.*$",
    default: defaultSettings.workspaceNamespaceLabel,
    description: "key=value label marking a workspace namespace.",
  },
  approvedImagePrefixes: stringList("Image prefixes workspaces may run."),
  coderdServiceAccounts: stringList("coderd's ServiceAccounts as namespace/name."),
  coderdServiceAccountNames: {
    ...stringList("ServiceAccount names taken as coderd's in any namespace."),
    default: [...defaultSettings.coderdServiceAccountNames],
  },
  minimumKubernetesVersion: {
    type: "string",
    pattern: "^\\d+\\.\\d+$",
    default: defaultSettings.minimumKubernetesVersion,
    description: "Oldest Kubernetes minor version a cluster may run, e.g. 1.34.",
  },
};

/** A policy's `configSchema` for the settings it reads. */
export function configSchemaFor(names: readonly SettingName[]): { properties: Record<string, PolicyConfigJSONSchema> } {
  return { properties: Object.fromEntries(names.map((n) => [n, settingsSchema[n]])) };
}

function requireStrings(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v.length === 0)) {
    throw new Error(`policy config ${field}: expected a list of non-empty strings, got ${JSON.stringify(value)}`);
  }
  return value as string[];
}

/**
 * Fills defaults into what `args.getConfig()` returned and refuses malformed values with an error
 * naming the setting (the engine reports a throwing policy instead of passing the stack silently).
 */
export function resolveSettings(config: Partial<Record<SettingName, unknown>> = {}): PolicySettings {
  const out: { -readonly [K in SettingName]: PolicySettings[K] } = { ...defaultSettings };
  for (const name of ["workspaceNamespaces", "approvedImagePrefixes", "coderdServiceAccounts"] as const) {
    if (config[name] !== undefined) out[name] = requireStrings(name, config[name]);
  }
  if (config.coderdServiceAccountNames !== undefined) {
    out.coderdServiceAccountNames = requireStrings("coderdServiceAccountNames", config.coderdServiceAccountNames);
  }
  for (const sa of out.coderdServiceAccounts) {
    if (!/^[^/]+\/[^/]+$/.test(sa)) {
      throw new Error(`policy config coderdServiceAccounts: "${sa}" is not namespace/name, e.g. "coderd/coder"`);
    }
  }
  if (config.workspaceNamespaceLabel !== undefined) {
    const v = config.workspaceNamespaceLabel;
    if (typeof v !== "string" || !/^[^=]+=.*$/.test(v)) {
      throw new Error(`policy config workspaceNamespaceLabel: ${JSON.stringify(v)} is not key=value`);
    }
    out.workspaceNamespaceLabel = v;
  }
  if (config.minimumKubernetesVersion !== undefined) {
    const v = config.minimumKubernetesVersion;
    if (typeof v !== "string" || !/^\d+\.\d+$/.test(v)) {
      throw new Error(`policy config minimumKubernetesVersion: ${JSON.stringify(v)} is not major.minor, e.g. "1.34"`);
    }
    out.minimumKubernetesVersion = v;
  }
  return out;
}

/** One policy's entry in a `--policy-pack-config` file. */
export type PolicyConfigEntry = { enforcementLevel?: EnforcementLevel } & Partial<Record<SettingName, unknown>>;

/**
 * Writes the JSON for `pulumi preview --policy-pack-config <file>`: `settings` copied into every
 * policy that reads them, and `enforcementLevels` per policy (e.g. `{ "node-upgrades": "advisory" }`).
 * `settingsOf` maps a policy name to the settings it reads (the pack's `policySettings`).
 */
export function writePolicyPackConfig(
  settingsOf: Readonly<Record<string, readonly SettingName[]>>,
  settings: Partial<PolicySettings> = {},
  enforcementLevels: Readonly<Record<string, EnforcementLevel>> = {},
): Record<string, PolicyConfigEntry | EnforcementLevel> {
  for (const name of Object.keys(enforcementLevels)) {
    if (!(name in settingsOf) && name !== "all") {
      throw new Error(
        `enforcementLevels: "${name}" is not a policy of this pack; use one of ${Object.keys(settingsOf).join(", ")}`,
      );
    }
  }
  resolveSettings(settings);
  const out: Record<string, PolicyConfigEntry | EnforcementLevel> = {};
  // "all" is the engine's reserved key for the level of every policy; it takes no settings.
  if (enforcementLevels.all) out.all = enforcementLevels.all;
  for (const [policy, names] of Object.entries(settingsOf)) {
    const entry: PolicyConfigEntry = {};
    for (const n of names) if (settings[n] !== undefined) entry[n] = settings[n];
    const level = enforcementLevels[policy];
    if (level) entry.enforcementLevel = level;
    if (Object.keys(entry).length > 0) out[policy] = entry;
  }
  return out;
}
