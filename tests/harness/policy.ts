/**
 * Runs the policy pack's policies on what the mock engine recorded, the way the Pulumi engine runs
 * them: `validateResource` once per resource with its inputs, `validateStack` once with every
 * resource's outputs, each policy's config from a `--policy-pack-config`-shaped object, and the
 * per-policy enforcement level the SDK would apply.
 */
import type {
  EnforcementLevel,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { policies as packPolicies } from "@hardened-coder/policy";
import type { RecordedResource } from "./engine";

export type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;
export type PackConfig = Readonly<Record<string, unknown>>;

export interface Violation {
  readonly policy: string;
  readonly message: string;
  /** The resource the violation is about (a stack violation may name none). */
  readonly urn?: string;
  readonly enforcementLevel: EnforcementLevel;
}

/** `urn::id` provider reference -> the provider's URN (URNs contain `::` themselves). */
function providerUrn(ref: string): string | undefined {
  if (!ref) return undefined;
  const i = ref.lastIndexOf("::");
  return i > 0 ? ref.slice(0, i) : ref;
}

function options(r: RecordedResource): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [...r.additionalSecretOutputs],
    ...(r.parent ? { parent: r.parent } : {}),
  };
}

function notApplicable(reason?: string): never {
  throw new Error(`not applicable: ${reason ?? ""}`);
}

function isTypeOf(type: string, cls: unknown): boolean {
  return (cls as { __pulumiType?: string }).__pulumiType === type;
}

/** What `args.getConfig()` returns for a policy: its entry without `enforcementLevel`. */
function configFor(config: PackConfig, policy: string): object {
  const entry = config[policy];
  if (typeof entry !== "object" || entry === null) return {};
  const { enforcementLevel: _level, ...rest } = entry as Record<string, unknown>;
  return rest;
}

/** The level the engine applies: the config's for this policy, else "all", else the policy's own. */
export function effectiveLevel(config: PackConfig, policy: AnyPolicy): EnforcementLevel {
  const entry = config[policy.name];
  const own =
    typeof entry === "string" ? entry : (entry as { enforcementLevel?: string } | undefined)?.enforcementLevel;
  const all = config.all;
  const allLevel = typeof all === "string" ? all : (all as { enforcementLevel?: string } | undefined)?.enforcementLevel;
  return (own ?? allLevel ?? policy.enforcementLevel ?? "advisory") as EnforcementLevel;
}

/** The recorded resources as the engine hands them to `validateStack` (props are outputs). */
export function toPolicyResources(recorded: readonly RecordedResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const out: PolicyResource[] = recorded.map((r) => {
    // A custom resource's outputs carry its provider id; the mock engine answers `${name}-id`.
    const props = r.custom && r.state.id === undefined ? { id: `${r.name}-id`, ...r.state } : r.state;
    const pr = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: options(r),
      dependencies: [] as PolicyResource[],
      propertyDependencies: {},
      isType: (cls: unknown) => isTypeOf(r.type, cls),
      asType: (cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined),
    } as unknown as PolicyResource;
    byUrn.set(r.urn, pr);
    return pr;
  });
  recorded.forEach((r, i) => {
    const pr = out[i]!;
    pr.dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
    const parent = byUrn.get(r.parent);
    if (parent) pr.parent = parent;
    const provider = providerUrn(r.provider);
    const p = provider ? recorded.find((x) => x.urn === provider) : undefined;
    if (provider) pr.provider = { type: p?.type ?? "", props: p?.inputs ?? {}, urn: provider, name: p?.name ?? "" };
  });
  return out;
}

/** One recorded resource as `validateResource` sees it (props are inputs). */
export function toValidationArgs(r: RecordedResource, config: PackConfig, policy: string): ResourceValidationArgs {
  const provider = providerUrn(r.provider);
  return {
    type: r.type,
    props: r.inputs,
    urn: r.urn,
    name: r.name,
    opts: options(r),
    ...(provider ? { provider: { type: "", props: {}, urn: provider, name: "" } } : {}),
    stackTags: new Map(),
    isType: (cls: unknown) => isTypeOf(r.type, cls),
    asType: (cls: unknown) => (isTypeOf(r.type, cls) ? r.inputs : undefined),
    getConfig: <T extends object>() => configFor(config, policy) as T,
    notApplicable,
  } as ResourceValidationArgs;
}

/** Runs one policy over a stack's recorded resources; returns its violations. */
export async function runPolicy(
  policy: AnyPolicy,
  recorded: readonly RecordedResource[],
  config: PackConfig = {},
): Promise<Violation[]> {
  const level = effectiveLevel(config, policy);
  if (level === "disabled") return [];
  const out: Violation[] = [];
  if ("validateResource" in policy && policy.validateResource) {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const r of recorded) {
      for (const v of validations) {
        await v(toValidationArgs(r, config, policy.name), (message) =>
          out.push({ policy: policy.name, message, urn: r.urn, enforcementLevel: level }),
        );
      }
    }
  }
  if ("validateStack" in policy) {
    const args: StackValidationArgs = {
      resources: toPolicyResources(recorded),
      stackTags: new Map(),
      getConfig: <T extends object>() => configFor(config, policy.name) as T,
      notApplicable,
    };
    await policy.validateStack(args, (message, urn) =>
      out.push({ policy: policy.name, message, ...(urn ? { urn } : {}), enforcementLevel: level }),
    );
  }
  return out;
}

/** Runs every policy of the pack (or `policies`) and returns all violations. */
export async function runPack(
  recorded: readonly RecordedResource[],
  config: PackConfig = {},
  policies: readonly AnyPolicy[] = packPolicies,
): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const p of policies) out.push(...(await runPolicy(p, recorded, config)));
  return out;
}

/** Violations that would stop `pulumi up` (mandatory), as readable lines for assertion messages. */
export function blocking(violations: readonly Violation[]): string[] {
  return violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `[${v.policy}] ${v.message}`);
}

/**
 * A hand-written resource as the recorder would have it, for fixtures of raw provider resources
 * that need no program run (inputs and outputs alike).
 */
export function fixture(
  type: string,
  name: string,
  props: Record<string, unknown>,
  extra: { parentType?: string; dependencies?: string[]; provider?: string; state?: Record<string, unknown> } = {},
): RecordedResource {
  const qualified = extra.parentType ? `${extra.parentType}$${type}` : type;
  return {
    urn: `urn:pulumi:test::hardened-coder::${qualified}::${name}`,
    type,
    name,
    custom: true,
    remote: false,
    parent: "",
    provider: extra.provider ?? "",
    dependencies: extra.dependencies ?? [],
    inputs: props,
    rawInputs: props,
    additionalSecretOutputs: [],
    state: { ...props, ...(extra.state ?? {}) },
  };
}
