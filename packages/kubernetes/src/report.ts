/**
 * The compliance report: for each of the 28 recommendations, who is responsible, how this stack
 * meets it (the components and settings, by URN, and the resources that carry them), the policy of
 * `@hardened-coder/policy` that guards it, and what the site admin must still do. Works on the
 * resources the mock engine recorded and on a real stack's `pulumi stack export` JSON alike.
 */
import {
  type Enforcement,
  type Recommendation,
  type RecommendationId,
  recommendationIds,
  recommendations,
} from "./recommendations";

/** The least a report needs to know of a resource. */
export interface StackResource {
  readonly urn: string;
  readonly type: string;
  /** The parent's URN (empty or absent at the top level); links a component to its resources. */
  readonly parent?: string;
}

/**
 * `met-by-default`: a component of this stack sets it. `validated`: a component refuses unsafe
 * input for it, and sets nothing by default. `site-admin-duty`: no component of this stack meets it
 * (a documented duty, or a stack that does without the component), so it rests on the site admin.
 */
export type ComplianceStatus = "met-by-default" | "validated" | "site-admin-duty";

export const complianceStatuses: readonly ComplianceStatus[] = ["met-by-default", "validated", "site-admin-duty"];

export interface Evidence {
  /** The component that declares the setting. */
  readonly urn: string;
  readonly component: string;
  readonly setting: string;
  readonly kind: "default" | "validated";
  /** The component's resources of the types the guarding policy checks (empty without `guards`). */
  readonly resources: readonly string[];
}

export interface ComplianceEntry {
  readonly id: RecommendationId;
  readonly section: string;
  readonly text: string;
  readonly responsibility: Recommendation["responsibility"];
  readonly enforcement: Enforcement;
  readonly status: ComplianceStatus;
  readonly evidence: readonly Evidence[];
  /** The policy of `@hardened-coder/policy` that guards it (named after the id), when one does. */
  readonly policy?: string;
  /** Every resource of this stack the guarding policy checks, ours or hand-written (needs `guards`). */
  readonly checkedResources: readonly string[];
  /** What the site admin must still do, in plain words. */
  readonly siteAdminDuty: string;
}

export interface ComplianceReport {
  readonly generatedFor: string;
  readonly summary: Readonly<Record<ComplianceStatus, number>>;
  readonly entries: readonly ComplianceEntry[];
}

export interface ComplianceReportOptions {
  /** A name for the stack in the report's heading. @default "stack" */
  readonly stackName?: string;
  /**
   * Recommendation ids that a policy guards (the policy pack's names).
   * @default every id whose enforcement is not "documented" (what the pack enforces)
   */
  readonly policyIds?: readonly string[];
  /**
   * Resource types each policy checks, by id (the pack's `rules[].guards`): with it the report
   * names the concrete resources behind each setting and the resources each policy checks.
   * @default none: evidence names the components only
   */
  readonly guards?: Readonly<Partial<Record<string, readonly string[]>>>;
}

/** Descendants of `urn` (by parent links) among `resources`. */
function descendants(urn: string, children: ReadonlyMap<string, readonly StackResource[]>): StackResource[] {
  const out: StackResource[] = [];
  const stack = [...(children.get(urn) ?? [])];
  while (stack.length > 0) {
    const r = stack.pop()!;
    out.push(r);
    stack.push(...(children.get(r.urn) ?? []));
  }
  return out;
}

function statusOf(rec: Recommendation, evidence: readonly Evidence[]): ComplianceStatus {
  if (rec.enforcement === "documented" || evidence.length === 0) return "site-admin-duty";
  return evidence.some((e) => e.kind === "default") ? "met-by-default" : "validated";
}

function dutyOf(rec: Recommendation, status: ComplianceStatus, policy: string | undefined): string {
  if (status !== "site-admin-duty" || rec.enforcement === "documented") return rec.siteAdminDuty;
  const guard = policy ? ` The policy ${policy} checks it on whatever the stack declares.` : "";
  return `No component of this stack meets it, so it is yours: ${rec.siteAdminDuty}${guard}`;
}

/** Builds the report from a stack's resources. */
export function complianceReport(
  resources: readonly StackResource[],
  options: ComplianceReportOptions = {},
): ComplianceReport {
  const byType = new Map<string, string[]>();
  const children = new Map<string, StackResource[]>();
  for (const r of resources) {
    byType.set(r.type, [...(byType.get(r.type) ?? []), r.urn]);
    if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const policyIds = new Set(
    options.policyIds ?? recommendations.filter((r) => r.enforcement !== "documented").map((r) => r.id),
  );

  const entries = recommendations.map((rec): ComplianceEntry => {
    const guarded = new Set(options.guards?.[rec.id] ?? []);
    const evidence: Evidence[] = [];
    for (const c of rec.controls) {
      for (const urn of byType.get(c.component) ?? []) {
        const carriers = descendants(urn, children)
          .filter((d) => guarded.has(d.type))
          .map((d) => d.urn);
        evidence.push({ urn, component: c.component, setting: c.setting, kind: c.kind, resources: carriers });
      }
    }
    const status = statusOf(rec, evidence);
    const policy = policyIds.has(rec.id) ? rec.id : undefined;
    return {
      id: rec.id,
      section: rec.section,
      text: rec.text,
      responsibility: rec.responsibility,
      enforcement: rec.enforcement,
      status,
      evidence,
      ...(policy ? { policy } : {}),
      checkedResources: policy ? resources.filter((r) => guarded.has(r.type)).map((r) => r.urn) : [],
      siteAdminDuty: dutyOf(rec, status, policy),
    };
  });
  const summary: Record<ComplianceStatus, number> = { "met-by-default": 0, validated: 0, "site-admin-duty": 0 };
  for (const e of entries) summary[e.status]++;
  return { generatedFor: options.stackName ?? "stack", summary, entries };
}

const statusWords: Record<ComplianceStatus, string> = {
  "met-by-default": "met by default",
  validated: "validated",
  "site-admin-duty": "site-admin duty",
};

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The report as Markdown: a summary table, then each recommendation with its evidence by URN. */
export function complianceMarkdown(report: ComplianceReport): string {
  const lines: string[] = [
    `# Coder shared security responsibility: compliance of ${report.generatedFor}`,
    "",
    `${report.summary["met-by-default"]} met by default, ${report.summary.validated} validated, ` +
      `${report.summary["site-admin-duty"]} site-admin duties, of ${report.entries.length} recommendations.`,
    "",
    "| id | responsibility | status | policy | how it is met | site admin must still |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const e of report.entries) {
    const settings = [...new Set(e.evidence.map((x) => x.setting))].join("; ") || "-";
    lines.push(
      `| \`${e.id}\` | ${e.responsibility} | ${statusWords[e.status]} | ${e.policy ?? "-"} | ${cell(settings)} | ${cell(e.siteAdminDuty)} |`,
    );
  }
  lines.push("", "## Evidence by URN", "");
  for (const e of report.entries) {
    lines.push(
      `### ${e.id}: ${e.text}`,
      "",
      `Status: **${statusWords[e.status]}**. Responsibility: ${e.responsibility}. ` +
        (e.policy ? `Guarded by policy \`${e.policy}\`.` : "No policy: a documented duty."),
      "",
    );
    for (const x of e.evidence) {
      lines.push(`- \`${x.urn}\`: ${x.setting} (${x.kind})`);
      for (const r of x.resources) lines.push(`  - \`${r}\``);
    }
    if (e.evidence.length === 0) lines.push("- no component in this stack meets it");
    const elsewhere = e.checkedResources.filter((u) => !e.evidence.some((x) => x.resources.includes(u)));
    if (elsewhere.length > 0) {
      lines.push("", `Also checked by \`${e.policy!}\` (declared outside our components):`);
      for (const u of elsewhere) lines.push(`- \`${u}\``);
    }
    lines.push("", `Site admin: ${e.siteAdminDuty}`, "");
  }
  return lines.join("\n");
}

interface ExportedResource {
  readonly urn: string;
  readonly type: string;
  readonly parent?: string;
}

/**
 * Resources of a `pulumi stack export` document (`{ version: 3, deployment: { resources } }`), or of
 * its `deployment` alone. Throws naming the field when the document has no resource list.
 */
export function resourcesFromStackExport(exported: unknown): StackResource[] {
  const doc = exported as { deployment?: { resources?: unknown }; resources?: unknown } | null;
  const list = doc?.deployment?.resources ?? doc?.resources;
  if (!Array.isArray(list)) {
    throw new Error("stack export: expected `deployment.resources` (the output of `pulumi stack export`)");
  }
  return list
    .filter((r): r is ExportedResource => {
      const o = r as Record<string, unknown> | null;
      return typeof o?.urn === "string" && typeof o?.type === "string";
    })
    .map((r) => ({ urn: r.urn, type: r.type, ...(typeof r.parent === "string" ? { parent: r.parent } : {}) }));
}

/** Every recommendation id appears exactly once in a report, in the catalog's order. */
export function reportCoversCatalog(report: ComplianceReport): boolean {
  return (
    report.entries.length === recommendationIds.length &&
    report.entries.every((e, i) => e.id === recommendationIds[i] && complianceStatuses.includes(e.status))
  );
}
