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
import { createRequire } from "node:module";
import { policies as packPolicies } from "@hardened-coder/policy";
import type { RecordedResource } from "./engine";

// The SDK's proxy module alone (its index would load the gRPC server into the test process). Its
// .d.ts strips these @internal names, so their shape is declared here.
interface PolicyProxyModule {
  /** Thrown on reading a value the engine marked unknown; the server reports it as advisory. */
  readonly UnknownValueError: new (...args: never[]) => Error;
  /** Wraps resource props so that reading an unknown value throws UnknownValueError. */
  readonly unknownCheckingProxy: <T extends object>(props: T) => T;
}
const { UnknownValueError, unknownCheckingProxy } = createRequire(__filename)(
  "@pulumi/policy/proxy",
) as PolicyProxyModule;

export type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;
export type PackConfig = Readonly<Record<string, unknown>>;

export interface RunOptions {
  /**
   * Run as the SDK does under `pulumi preview`: props behind its unknown-checking proxy, and a
   * policy that reads an unknown value reported as advisory ("can't run during preview").
   */
  readonly preview?: boolean;
}

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
export function toPolicyResources(recorded: readonly RecordedResource[], run: RunOptions = {}): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const out: PolicyResource[] = recorded.map((r) => {
    // A custom resource's outputs carry its provider id; the mock engine answers `${name}-id`.
    const state = r.custom && r.state.id === undefined ? { id: `${r.name}-id`, ...r.state } : r.state;
    const props = run.preview ? unknownCheckingProxy(state) : state;
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
export function toValidationArgs(
  r: RecordedResource,
  config: PackConfig,
  policy: string,
  run: RunOptions = {},
): ResourceValidationArgs {
  const provider = providerUrn(r.provider);
  const props = run.preview ? unknownCheckingProxy(r.inputs) : r.inputs;
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: options(r),
    ...(provider ? { provider: { type: "", props: {}, urn: provider, name: "" } } : {}),
    stackTags: new Map(),
    isType: (cls: unknown) => isTypeOf(r.type, cls),
    asType: (cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined),
    getConfig: <T extends object>() => configFor(config, policy) as T,
    notApplicable,
  } as ResourceValidationArgs;
}

/** Runs one policy over a stack's recorded resources; returns its violations. */
export async function runPolicy(
  policy: AnyPolicy,
  recorded: readonly RecordedResource[],
  config: PackConfig = {},
  run: RunOptions = {},
): Promise<Violation[]> {
  const level = effectiveLevel(config, policy);
  if (level === "disabled") return [];
  const out: Violation[] = [];
  // The SDK's server turns a read of an unknown value into one advisory diagnostic for the call.
  const guarded = async (urn: string | undefined, body: () => Promise<void>) => {
    try {
      await body();
    } catch (e) {
      if (!(e instanceof UnknownValueError)) throw e;
      const message = `can't run policy '${policy.name}' during preview: ${e.message}`;
      out.push({ policy: policy.name, message, ...(urn ? { urn } : {}), enforcementLevel: "advisory" });
    }
  };
  if ("validateResource" in policy && policy.validateResource) {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const r of recorded) {
      for (const v of validations) {
        await guarded(r.urn, async () => {
          await v(toValidationArgs(r, config, policy.name, run), (message) =>
            out.push({ policy: policy.name, message, urn: r.urn, enforcementLevel: level }),
          );
        });
      }
    }
  }
  if ("validateStack" in policy) {
    const args: StackValidationArgs = {
      resources: toPolicyResources(recorded, run),
      stackTags: new Map(),
      getConfig: <T extends object>() => configFor(config, policy.name) as T,
      notApplicable,
    };
    await guarded(undefined, async () => {
      await policy.validateStack(args, (message, urn) =>
        out.push({ policy: policy.name, message, ...(urn ? { urn } : {}), enforcementLevel: level }),
      );
    });
  }
  return out;
}

/** Runs every policy of the pack (or `policies`) and returns all violations. */
export async function runPack(
  recorded: readonly RecordedResource[],
  config: PackConfig = {},
  policies: readonly AnyPolicy[] = packPolicies,
  run: RunOptions = {},
): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const p of policies) out.push(...(await runPolicy(p, recorded, config, run)));
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

/** The sentinel the engine sends for a value not known until the resource exists. */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Marks, in `state`, every value the mock invented that `inputs` did not give (ARNs, ids,
 * endpoints...) as unknown; collects the invented strings into `computed`.
 */
function unknownOutputs(
  state: unknown,
  inputs: unknown,
  computed: Set<string>,
  keep: (path: string) => boolean,
  path = "",
): unknown {
  if (sameJson(state, inputs) || keep(path)) return state;
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(state) && (isObj(inputs) || inputs === undefined)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(state)) {
      out[k] = unknownOutputs(v, isObj(inputs) ? inputs[k] : undefined, computed, keep, path ? `${path}.${k}` : k);
    }
    return out;
  }
  const collect = (v: unknown): void => {
    if (typeof v === "string" && v.length >= 6) computed.add(v);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(collect);
  };
  collect(state);
  return unknownValue;
}

/** Any string holding a computed value becomes unknown whole, as an interpolated Output would. */
function unknownInputs(value: unknown, computed: ReadonlySet<string>): unknown {
  if (typeof value === "string") {
    for (const c of computed) if (value.includes(c)) return unknownValue;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => unknownInputs(v, computed));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unknownInputs(v, computed)]));
  }
  return value;
}

/**
 * The stack as a first `pulumi preview` shows it to policies: nothing exists yet, so every value a
 * provider computes (the mock engine fills them: ids, ARNs, endpoints, generated names) is unknown
 * in the outputs, and so is every input built from one. Kubernetes names stay known: the provider
 * auto-names objects in Check, before policies run.
 */
export function firstPreview(recorded: readonly RecordedResource[]): RecordedResource[] {
  const computed = new Set<string>();
  const states = recorded.map((r) => {
    const keep = (path: string) => r.type.startsWith("kubernetes:") && path === "metadata.name";
    const state = r.custom ? { id: `${r.name}-id`, ...r.state } : r.state;
    return unknownOutputs(state, r.inputs, computed, keep) as Record<string, unknown>;
  });
  return recorded.map((r, i) => ({
    ...r,
    inputs: unknownInputs(r.inputs, computed) as Record<string, unknown>,
    rawInputs: unknownInputs(r.rawInputs, computed) as Record<string, unknown>,
    state: unknownInputs(states[i], computed) as Record<string, unknown>,
  }));
}
