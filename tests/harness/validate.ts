/**
 * Validates Kubernetes objects against the Kubernetes OpenAPI schemas (kubernetes-models), the way
 * the API server would reject a malformed object at `pulumi up`.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { RecordedResource } from "./engine";

// kubernetes-models is ESM with subpaths under the "import" condition only: load its files by URL.
const modelsDir = join(__dirname, "..", "..", "node_modules", "kubernetes-models");

interface ModelClass {
  new (data: Record<string, unknown>): { validate(): void };
}

const cache = new Map<string, ModelClass>();

/** `kubernetes:rbac.authorization.k8s.io/v1:Role` -> the kubernetes-models class for it. */
async function modelFor(type: string): Promise<ModelClass> {
  const hit = cache.get(type);
  if (hit) return hit;
  const m = /^kubernetes:([^/]+)\/([^:]+):(.+)$/.exec(type);
  if (!m) throw new Error(`${type} is not a Kubernetes resource type token`);
  const [, group, version, kind] = m as unknown as [string, string, string, string];
  const file =
    group === "core" ? join(modelsDir, version, `${kind}.js`) : join(modelsDir, group, version, `${kind}.js`);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, ModelClass>;
  const cls = mod[kind];
  if (!cls) throw new Error(`kubernetes-models has no ${kind} in ${file}`);
  cache.set(type, cls);
  return cls;
}

/** Kubernetes API object types (not Helm charts, YAML groups or providers). */
export function isKubernetesObject(type: string): boolean {
  return (
    /^kubernetes:[^/]+\/[^:]+:[A-Z]/.test(type) &&
    !type.startsWith("kubernetes:helm.sh/") &&
    !type.startsWith("kubernetes:yaml/") &&
    !type.startsWith("kubernetes:kustomize/")
  );
}

/** Rejects with the object's type, name and the schema's complaint when it is not schema-valid. */
export async function validateKubernetesObject(
  type: string,
  object: Record<string, unknown>,
  name = "",
): Promise<void> {
  // A `...Patch` (server-side apply) carries only the fields it manages: it is held to the schema of
  // the object it patches, less that schema's required fields.
  const isPatch = type.endsWith("Patch");
  const Model = await modelFor(isPatch ? type.replace(/Patch$/, "") : type);
  try {
    new Model(object).validate();
  } catch (err) {
    const problems = (err as Error).message
      .split(", ")
      .filter((p) => !(isPatch && / must have required property /.test(p)));
    if (problems.length > 0) throw new Error(`${type} ${name} is not schema-valid: ${problems.join(", ")}`);
  }
}

/** Validates every Kubernetes object the program registered; returns how many were checked. */
export async function validateAllKubernetesObjects(resources: readonly RecordedResource[]): Promise<number> {
  let n = 0;
  for (const r of resources) {
    if (!r.custom || !isKubernetesObject(r.type)) continue;
    await validateKubernetesObject(r.type, r.inputs, r.name);
    n++;
  }
  return n;
}
