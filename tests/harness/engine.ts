/**
 * Runs a Pulumi program under the SDK's mock engine and records what it registers.
 *
 * The recorder sees every RegisterResource request (custom and component), with its parent,
 * provider, dependencies and raw inputs (secrets still wrapped, so a test can prove a value is a
 * Pulumi secret in state). Any provider invoke outside the design's allow-list fails the run: a
 * preview must need no cloud round trips beyond those.
 */
import * as pulumi from "@pulumi/pulumi";
import { mockState } from "./mock-state";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  readonly remote: boolean;
  readonly parent: string;
  readonly provider: string;
  /** URNs this resource waits for (explicit dependsOn plus every input's resources). */
  readonly dependencies: readonly string[];
  /** Inputs with secrets unwrapped: what the provider would receive. */
  readonly inputs: Record<string, unknown>;
  /** Inputs as the engine received them: secrets are `{ [SECRET_SIG_KEY]: SECRET_SIG, value }`. */
  readonly rawInputs: Record<string, unknown>;
  readonly additionalSecretOutputs: readonly string[];
  /** What the mock returned as the resource's state. */
  readonly state: Record<string, unknown>;
}

export interface RecordedInvoke {
  readonly token: string;
  readonly args: Record<string, unknown>;
}

export interface SynthResult<T> {
  readonly resources: RecordedResource[];
  /**
   * Errors thrown inside `apply` (an Output-valued input refused by a resolve function, say). A
   * real `pulumi up` fails on them; under mocks they surface only as unhandled rejections, which
   * mocha would discard: `synth` collects them and fails the run on them, unless
   * `expectApplyFailures` asks for them here instead.
   */
  readonly applyFailures: string[];
  readonly invokes: RecordedInvoke[];
  readonly outputs: Record<string, unknown>;
  readonly result: T;
}

/** The only invokes a program may make (design: "Offline by construction"), with mock answers. */
export const allowedInvokes: Readonly<Record<string, (args: Record<string, unknown>) => Record<string, unknown>>> = {
  "aws:index/getRegion:getRegion": () => ({ id: "us-west-2", name: "us-west-2", region: "us-west-2" }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    id: "123456789012",
    accountId: "123456789012",
    arn: "arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice-session",
    userId: "AROAEXAMPLE:alice-session",
  }),
  "aws:index/getPartition:getPartition": () => ({
    id: "aws",
    partition: "aws",
    dnsSuffix: "amazonaws.com",
    reverseDnsPrefix: "com.amazonaws",
  }),
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    id: "us-west-2",
    names: ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
    zoneIds: ["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"],
  }),
  "gcp:organizations/getProject:getProject": () => ({
    id: "projects/example-project",
    projectId: "example-project",
    number: "123456789012",
    name: "example-project",
  }),
  "gcp:organizations/getClientConfig:getClientConfig": () => ({
    id: "client",
    project: "example-project",
    region: "europe-west1",
    zone: "europe-west1-b",
    accessToken: "mock-token",
  }),
  "gcp:compute/getZones:getZones": () => ({
    id: "europe-west1",
    names: ["europe-west1-b", "europe-west1-c", "europe-west1-d"],
    project: "example-project",
    region: "europe-west1",
  }),
};

export interface SynthOptions {
  /** Stack config, keys as `project:key` or `key` (taken as the project's). */
  readonly config?: Record<string, string>;
  /** Config keys whose values are secrets. */
  readonly secretConfig?: readonly string[];
  readonly project?: string;
  readonly stack?: string;
  /** Return errors thrown inside `apply` in `applyFailures` instead of failing the run. */
  readonly expectApplyFailures?: boolean;
}

function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Deep copy with every secret wrapper replaced by its value. */
export function unwrapSecrets(v: unknown): unknown {
  if (isSecretValue(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/**
 * Every plain string in `raw` that is not under a secret wrapper. A secret that leaked into state
 * as plain text shows up here.
 */
export function plainStrings(raw: unknown): string[] {
  if (isSecretValue(raw)) return [];
  if (typeof raw === "string") return [raw];
  if (Array.isArray(raw)) return raw.flatMap(plainStrings);
  if (typeof raw === "object" && raw !== null) return Object.values(raw).flatMap(plainStrings);
  return [];
}

/** True when the value at `path` (dot separated) in `raw` is wrapped as a secret, at it or above. */
export function isSecretAt(raw: unknown, path: string): boolean {
  let cur: unknown = raw;
  for (const key of path.split(".")) {
    if (isSecretValue(cur)) return true;
    if (typeof cur !== "object" || cur === null) return false;
    cur = (cur as Record<string, unknown>)[key];
  }
  return isSecretValue(cur);
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom(): boolean;
  getRemote(): boolean;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface RegisterResponse {
  getUrn(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback = (err: unknown, resp: RegisterResponse | undefined) => void;
interface Monitor {
  registerResource(req: RegisterRequest, cb: Callback): void;
}

let running = false;

/**
 * Runs `program` as the body of a stack under mocks, waits for every registration, and returns
 * what was recorded. Throws what the program threw, or the first refused invoke.
 */
export async function synth<T>(program: () => T | Promise<T>, options: SynthOptions = {}): Promise<SynthResult<T>> {
  if (running) throw new Error("synth() is not re-entrant: await the previous run first");
  running = true;
  try {
    const project = options.project ?? "hardened-coder";
    const stack = options.stack ?? "test";
    const resources: RecordedResource[] = [];
    const invokes: RecordedInvoke[] = [];
    const refused: string[] = [];
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.config ?? {})) config[k.includes(":") ? k : `${project}:${k}`] = v;
    const secretKeys = (options.secretConfig ?? []).map((k) => (k.includes(":") ? k : `${project}:${k}`));
    pulumi.runtime.setAllConfig(config, secretKeys);

    await pulumi.runtime.setMocks(
      {
        newResource: (args: pulumi.runtime.MockResourceArgs) => {
          const inputs = args.inputs as Record<string, unknown>;
          return { id: `${args.name}-id`, state: mockState(args.type, args.name, inputs) };
        },
        call: (args: pulumi.runtime.MockCallArgs) => {
          const answer = allowedInvokes[args.token];
          invokes.push({ token: args.token, args: args.inputs as Record<string, unknown> });
          if (!answer) {
            refused.push(args.token);
            throw new Error(`invoke ${args.token} is not allowed offline (see design: Offline by construction)`);
          }
          return answer(args.inputs as Record<string, unknown>);
        },
      },
      project,
      stack,
      false,
    );

    const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
      const rawInputs = req.getObject()?.toJavaScript() ?? {};
      original(req, (err, resp) => {
        if (!err && resp) {
          resources.push({
            urn: resp.getUrn(),
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            remote: req.getRemote(),
            parent: req.getParent(),
            provider: req.getProvider(),
            dependencies: req.getDependenciesList(),
            inputs: unwrapSecrets(rawInputs) as Record<string, unknown>,
            rawInputs,
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            state: unwrapSecrets(resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
          });
        }
        cb(err, resp);
      });
    };

    // An error thrown inside `apply` surfaces only as an unhandled rejection, which mocha ignores:
    // collect them for the length of the run.
    const applyFailures: string[] = [];
    const saved = process.listeners("unhandledRejection");
    const onRejection = (reason: unknown) =>
      applyFailures.push(reason instanceof Error ? reason.message : String(reason));
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onRejection);
    const restore = () => {
      process.removeListener("unhandledRejection", onRejection);
      for (const l of saved) process.on("unhandledRejection", l);
    };
    let result: T | undefined;
    const refusal = () =>
      new Error(`invokes not allowed offline (design: Offline by construction): ${refused.join(", ")}`);
    let outputs: Record<string, unknown>;
    try {
      outputs = (await pulumi.runtime.runInPulumiStack(async () => {
        result = await program();
        return exportsOf(result);
      })) as Record<string, unknown>;
      await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
      // Rejections are reported on the next turns of the event loop.
      await new Promise((r) => setTimeout(r, 10));
    } catch (err) {
      // A refused program leaves the runtime's own rejections behind: absorb them here, not in the
      // next run.
      await new Promise((r) => setTimeout(r, 10));
      restore();
      if (refused.length > 0) throw refusal();
      throw err;
    }
    restore();
    if (refused.length > 0) throw refusal();
    if (applyFailures.length > 0 && !options.expectApplyFailures) {
      throw new Error(`errors inside apply (a real pulumi up fails on these):\n${applyFailures.join("\n")}`);
    }
    return { resources, applyFailures, invokes, outputs: outputs ?? {}, result: result as T };
  } finally {
    running = false;
  }
}

/** A program module's exports become stack outputs, like `pulumi up` does with a module. */
function exportsOf(result: unknown): Record<string, unknown> | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  if (result instanceof pulumi.Resource) return undefined;
  return result as Record<string, unknown>;
}

/** Awaits an Output's value (tests only: inside a program, use apply). */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** Whether an Output is marked secret. */
export function isSecretOutput(o: pulumi.Output<unknown>): Promise<boolean> {
  return pulumi.isSecret(o);
}

/** Resources of one type token. */
export function ofType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
  return resources.filter((r) => r.type === type);
}

/** The single resource of a type (throws naming the type when there are none or several). */
export function one(resources: readonly RecordedResource[], type: string, nameIncludes?: string): RecordedResource {
  const found = ofType(resources, type).filter((r) => nameIncludes === undefined || r.name.includes(nameIncludes));
  if (found.length !== 1) {
    throw new Error(`expected one ${type}${nameIncludes ? ` named *${nameIncludes}*` : ""}, found ${found.length}`);
  }
  return found[0]!;
}

/** Reads a dotted path (`spec.hard.pods`) out of a plain object. */
export function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const key of path.split(".")) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Loads a Pulumi program file the way Pulumi's Node.js runtime does (require), afresh each call so
 * that several runs in one process each register the program's resources. Call it inside `synth`.
 */
export function loadProgram(path: string): Record<string, unknown> {
  const resolved = require.resolve(path);
  delete require.cache[resolved];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(resolved) as Record<string, unknown>;
}

/**
 * Runs a program whose refused input arrives as an Output: the check runs inside `apply`, and its
 * error (which fails a real `pulumi up`) is returned in `failures` rather than failing the test.
 */
export async function synthApplyFailures(
  program: () => void,
  options: SynthOptions = {},
): Promise<{ resources: RecordedResource[]; failures: string[] }> {
  const run = await synth(program, { ...options, expectApplyFailures: true });
  return { resources: run.resources, failures: run.applyFailures };
}
