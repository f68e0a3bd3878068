/**
 * Evaluates Kubernetes admission CEL (ValidatingAdmissionPolicy match conditions, variables and
 * validations) with a real CEL evaluator, @bufbuild/cel, the way the API server would.
 *
 * Usage:
 * ```ts
 * const verdict = admit(workspaceAdmissionPolicySpec(config), { object: pod });
 * assert.equal(verdict.allowed, false);
 * assert.match(verdict.denials[0]!.message, /approved-images/);
 * ```
 *
 * Semantics followed (Kubernetes docs, "Validating Admission Policy"):
 * - `object`, `oldObject` (null on CREATE), `request` and `variables` are bound; Kubernetes JSON
 *   maps become CEL maps and whole numbers CEL ints, as the API server's unstructured objects do.
 * - Match conditions: any false skips the policy (admitted); otherwise any error applies
 *   `failurePolicy` (default Fail: refused).
 * - Variables are evaluated in order, each seeing the earlier ones; one that errors is left unbound,
 *   so only expressions that read it fail, as with the API server's lazy variables.
 * - Validations: false refuses with `messageExpression` (when it yields a string) or `message`; an
 *   error refuses under `failurePolicy: Fail` and is ignored under `Ignore`.
 * Resource matching (`matchConstraints`) is the API server's job, not CEL's: see {@link matchesRequest}.
 *
 * {@link celFunctionsUsed} lists the functions an expression calls, so a test can prove it stays
 * within standard CEL (which Kubernetes has) rather than something only @bufbuild/cel offers.
 */
import { type CelInput, type CelValue, celEnv, isCelList, isCelMap, parse, plan } from "@bufbuild/cel";

/** The parts of a ValidatingAdmissionPolicy spec that CEL decides. */
export interface CelPolicySpec {
  readonly failurePolicy?: string;
  readonly matchConditions?: readonly { readonly name: string; readonly expression: string }[];
  readonly variables?: readonly { readonly name: string; readonly expression: string }[];
  readonly validations: readonly {
    readonly expression: string;
    readonly message?: string;
    readonly messageExpression?: string;
  }[];
}

/** One admission request, as the policy sees it. */
export interface AdmissionInput {
  /** The object being admitted (a Pod, a Deployment ...), as plain Kubernetes JSON. */
  readonly object: unknown;
  /** The object before an UPDATE. @default null */
  readonly oldObject?: unknown;
  /** @default "CREATE" when there is no oldObject, else "UPDATE" */
  readonly operation?: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  /** e.g. "ephemeralcontainers". @default "" */
  readonly subResource?: string;
  /** @default the object's metadata.namespace */
  readonly namespace?: string;
}

export interface ValidationResult {
  readonly index: number;
  readonly expression: string;
  /** true admits, false refuses, "error" did not evaluate (see `error`). */
  readonly result: boolean | "error";
  readonly error?: string;
}

export interface Denial {
  readonly index: number;
  readonly expression: string;
  readonly message: string;
}

export interface AdmissionVerdict {
  /** False when a match condition skipped the policy (the request is then admitted). */
  readonly matched: boolean;
  readonly allowed: boolean;
  readonly denials: readonly Denial[];
  readonly results: readonly ValidationResult[];
}

type Program = ReturnType<typeof plan>;

const env = celEnv();
const programs = new Map<string, Program>();

/** Parses and plans once per distinct expression; throws on a syntax error, naming the expression. */
function compile(expression: string): Program {
  let program = programs.get(expression);
  if (!program) {
    try {
      program = plan(env, parse(expression));
    } catch (err) {
      throw new Error(`CEL does not parse: ${expression}\n${(err as Error).message}`);
    }
    programs.set(expression, program);
  }
  return program;
}

/**
 * Kubernetes JSON -> CEL input: objects become maps, whole numbers ints (bigint), other numbers
 * doubles; strings, booleans, null and lists as they are.
 */
export function toCel(value: unknown): CelInput {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "bigint") return value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value instanceof Map) return value;
  if (typeof value === "object") {
    return new Map(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toCel(v)]),
    );
  }
  throw new Error(`toCel: cannot bind a ${typeof value}`);
}

/** CEL value -> plain JS for assertions: lists to arrays, maps to objects, safe ints to numbers. */
export function fromCel(value: CelValue | Error): unknown {
  if (value instanceof Error) return value;
  if (isCelList(value)) return [...value].map(fromCel);
  if (isCelMap(value))
    return Object.fromEntries(
      [...value].map(([k, v]) => [typeof k === "object" ? String(k.value) : String(k), fromCel(v)]),
    );
  if (typeof value === "bigint" && Number.isSafeInteger(Number(value))) return Number(value);
  return value;
}

/** Evaluates one expression; returns the value, or an Error when CEL reports one. */
export function evaluateCel(expression: string, bindings: Record<string, unknown>): CelValue | Error {
  const cel: Record<string, CelInput> = {};
  for (const [k, v] of Object.entries(bindings)) cel[k] = toCel(v);
  return compile(expression)(cel);
}

function requestOf(input: AdmissionInput): Record<string, unknown> {
  const object = input.object as { kind?: string; apiVersion?: string; metadata?: { namespace?: string } } | null;
  const [group, version] = (object?.apiVersion ?? "v1").includes("/")
    ? (object!.apiVersion!.split("/") as [string, string])
    : ["", object?.apiVersion ?? "v1"];
  return {
    operation: input.operation ?? (input.oldObject === undefined || input.oldObject === null ? "CREATE" : "UPDATE"),
    kind: { group, version, kind: object?.kind ?? "" },
    subResource: input.subResource ?? "",
    namespace: input.namespace ?? object?.metadata?.namespace ?? "",
  };
}

/** Evaluates a policy's CEL against one request, with the API server's semantics (see the module doc). */
export function admit(spec: CelPolicySpec, input: AdmissionInput): AdmissionVerdict {
  const failClosed = (spec.failurePolicy ?? "Fail") === "Fail";
  const base: Record<string, unknown> = {
    object: toCel(input.object),
    oldObject: toCel(input.oldObject ?? null),
    request: toCel(requestOf(input)),
  };

  let conditionError: string | undefined;
  for (const condition of spec.matchConditions ?? []) {
    const value = evaluateCel(condition.expression, base);
    if (value === false) return { matched: false, allowed: true, denials: [], results: [] };
    if (value instanceof Error || typeof value !== "boolean") {
      conditionError ??= `matchCondition ${condition.name}: ${value instanceof Error ? value.message : "not a bool"}`;
    }
  }
  if (conditionError !== undefined) {
    const denials = failClosed ? [{ index: -1, expression: "", message: conditionError }] : [];
    return { matched: true, allowed: !failClosed, denials, results: [] };
  }

  const variables = new Map<string, CelInput>();
  for (const variable of spec.variables ?? []) {
    const value = evaluateCel(variable.expression, { ...base, variables });
    if (!(value instanceof Error)) variables.set(variable.name, value);
  }
  const bindings = { ...base, variables };

  const results: ValidationResult[] = [];
  const denials: Denial[] = [];
  spec.validations.forEach((validation, index) => {
    const value = evaluateCel(validation.expression, bindings);
    if (typeof value === "boolean") {
      results.push({ index, expression: validation.expression, result: value });
      if (!value) denials.push({ index, expression: validation.expression, message: messageOf(validation, bindings) });
      return;
    }
    const error = value instanceof Error ? value.message : `result is a ${typeof value}, not a bool`;
    results.push({ index, expression: validation.expression, result: "error", error });
    if (failClosed) denials.push({ index, expression: validation.expression, message: `error: ${error}` });
  });
  return { matched: true, allowed: denials.length === 0, denials, results };
}

function messageOf(validation: CelPolicySpec["validations"][number], bindings: Record<string, unknown>): string {
  if (validation.messageExpression !== undefined) {
    const value = evaluateCel(validation.messageExpression, bindings);
    if (typeof value === "string" && value !== "") return value;
  }
  return validation.message ?? `failed expression: ${validation.expression}`;
}

/** A request as `matchConstraints.resourceRules` sees it. */
export interface ResourceRequest {
  readonly group: string;
  readonly version: string;
  /** Plural resource, with the subresource after a slash: "pods", "pods/ephemeralcontainers". */
  readonly resource: string;
  readonly operation: string;
}

/** Whether a policy's `resourceRules` select a request (exact names and `*` wildcards). */
export function matchesRequest(
  rules: readonly {
    readonly apiGroups?: readonly string[];
    readonly apiVersions?: readonly string[];
    readonly operations?: readonly string[];
    readonly resources?: readonly string[];
  }[],
  request: ResourceRequest,
): boolean {
  const has = (list: readonly string[] | undefined, value: string) =>
    (list ?? []).some((x) => x === "*" || x === value);
  const [resource, sub] = request.resource.split("/");
  // "*" is every resource but no subresource; "pods/*" every subresource of pods; "*/x" subresource x of any.
  const resourceMatches = (x: string) =>
    x === request.resource ||
    x === "*/*" ||
    (sub === undefined ? x === "*" : x === `${resource}/*` || x === `*/${sub}`);
  return rules.some(
    (r) =>
      has(r.apiGroups, request.group) &&
      has(r.apiVersions, request.version) &&
      has(r.operations, request.operation) &&
      (r.resources ?? []).some(resourceMatches),
  );
}

/** Every function an expression calls (operators as `_&&_`, methods by name, macros expanded). */
export function celFunctionsUsed(expression: string): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== "object" || node === null) return;
    const n = node as Record<string, unknown>;
    if (n.$typeName === "cel.expr.Expr.Call" && typeof n.function === "string") found.add(n.function);
    Object.values(n).forEach(walk);
  };
  walk(parse(expression).expr);
  return found;
}

/**
 * Standard CEL functions and operators, all of which Kubernetes admission CEL provides (plus the
 * planner's internal `@not_strictly_false` from the `all`/`exists` macros).
 */
export const standardCelFunctions: ReadonlySet<string> = new Set([
  "_&&_",
  "_||_",
  "!_",
  "-_",
  "_==_",
  "_!=_",
  "_<_",
  "_<=_",
  "_>_",
  "_>=_",
  "_+_",
  "_-_",
  "_*_",
  "_/_",
  "_%_",
  "_?_:_",
  "_[_]",
  "@in",
  "@not_strictly_false",
  "size",
  "contains",
  "startsWith",
  "endsWith",
  "matches",
  "int",
  "uint",
  "double",
  "string",
  "bool",
  "bytes",
  "type",
  "dyn",
]);
