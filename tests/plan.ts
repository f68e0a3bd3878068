/**
 * `pnpm run plan`: runs the root Pulumi.yaml program under Pulumi's mock engine (no cloud account,
 * no cluster) and writes, under out/:
 *   resources.txt    the resource tree, by parent
 *   manifests.yaml   every Kubernetes object, each validated against the Kubernetes OpenAPI schemas
 *   compliance.md    the compliance report for the 28 recommendations
 *   compliance.json  the same, as data
 * `pnpm run plan -- --stack offline-coder` gives the program the example's sample stack config
 * (`Pulumi.offline-coder.yaml` beside its Pulumi.yaml): the cluster with coderd and its database.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify, parse } from "yaml";
import { complianceMarkdown, complianceReport, type ComplianceReport } from "@hardened-coder/kubernetes";
import { complianceReportOptions } from "@hardened-coder/policy";
import { type RecordedResource, loadProgram, synth } from "./harness/engine";
import { isKubernetesObject, validateKubernetesObject } from "./harness/validate";

export interface PlanResult {
  readonly resources: RecordedResource[];
  readonly report: ComplianceReport;
  readonly manifests: number;
  readonly files: readonly string[];
}

interface ProjectFile {
  name: string;
  main?: string;
}

/** The resource tree as indented text: `type name` per line, children under their parent. */
export function resourceTree(resources: readonly RecordedResource[]): string {
  const children = new Map<string, RecordedResource[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      lines.push(`${"  ".repeat(depth)}${r.type} ${r.name}`);
      walk(r.urn, depth + 1);
    }
  };
  walk("", 0);
  return lines.join("\n") + "\n";
}

/**
 * The config of stack `stack` for the program in `mainDir`, from its `Pulumi.<stack>.yaml`, with the
 * program's own project keys renamed to `project` (the name the program runs under here). Plain
 * values only: a `secure:` value needs the stack's key, which the offline plan does not have.
 */
export function stackConfig(mainDir: string, stack: string, project: string): Record<string, string> {
  const file = join(mainDir, `Pulumi.${stack}.yaml`);
  const own = (parse(readFileSync(join(mainDir, "Pulumi.yaml"), "utf8")) as ProjectFile).name;
  const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc?.config ?? {})) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      throw new Error(`${file}: ${key} is encrypted; the offline plan takes plain values only`);
    }
    const name = key.startsWith(`${own}:`) ? `${project}:${key.slice(own.length + 1)}` : key;
    out[name] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/**
 * Runs the program named by `projectFile` under mocks and writes the four outputs to `outDir`. With
 * `stack`, the program gets that stack's config from `Pulumi.<stack>.yaml` beside its own Pulumi.yaml.
 */
export async function writePlan(projectFile: string, outDir: string, stack?: string): Promise<PlanResult> {
  const project = parse(readFileSync(projectFile, "utf8")) as ProjectFile;
  const main = resolve(projectFile, "..", project.main ?? ".");
  const config = stack ? stackConfig(main, stack, project.name) : {};
  const { resources } = await synth(() => loadProgram(main), {
    project: project.name,
    stack: stack ?? "plan",
    config,
  });

  const objects: Record<string, unknown>[] = [];
  for (const r of resources) {
    if (!r.custom || !isKubernetesObject(r.type)) continue;
    await validateKubernetesObject(r.type, r.inputs, r.name);
    objects.push(r.inputs);
  }
  // The pack's options name, per recommendation, the resources its guarding policy checks.
  const report = complianceReport(
    resources,
    complianceReportOptions(`${project.name} (${project.main ?? "."}${stack ? `, stack ${stack}` : ""})`),
  );

  mkdirSync(outDir, { recursive: true });
  const files = {
    "resources.txt": resourceTree(resources),
    "manifests.yaml": objects.map((o) => stringify(o)).join("---\n"),
    "compliance.md": complianceMarkdown(report),
    "compliance.json": JSON.stringify(report, null, 2) + "\n",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(outDir, name), text);
  return { resources, report, manifests: objects.length, files: Object.keys(files).map((f) => join(outDir, f)) };
}

if (require.main === module) {
  const root = resolve(__dirname, "..");
  const at = process.argv.indexOf("--stack");
  const stack = at >= 0 ? process.argv[at + 1] : undefined;
  writePlan(join(root, "Pulumi.yaml"), join(root, "out"), stack)
    .then((plan) => {
      const s = plan.report.summary;
      console.log(
        `plan: ${plan.resources.length} resources, ${plan.manifests} Kubernetes objects (schema-valid); ` +
          `compliance: ${s["met-by-default"]} met by default, ${s.validated} validated, ${s["site-admin-duty"]} site-admin duties`,
      );
      for (const f of plan.files) console.log(`wrote ${f}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
