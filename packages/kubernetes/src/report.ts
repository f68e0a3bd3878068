/**
 * The compliance report: for each of the 28 recommendations, who is responsible, how this stack
 * meets it (the components and settings, by URN), the policy that guards it, and what the site
 * admin must still do. Works on the resources the mock engine recorded and on a real stack's
 * `pulumi stack export` JSON alike.
 */
import { type Recommendation, type RecommendationId, recommendations } from "./recommendations";

/** The least a report needs to know of a resource. */
export interface StackResource {
  readonly urn: string;
  readonly type: string;
}

export type ComplianceStatus = "met-by-default" | "validated" | "site-admin-duty";

export interface Evidence {
  readonly urn: string;
  readonly component: string;
  readonly setting: string;
  readonly kind: "default" | "validated";
}

export interface ComplianceEntry {
  readonly id: RecommendationId;
  readonly section: string;
  readonly text: string;
  readonly responsibility: Recommendation["responsibility"];
  readonly status: ComplianceStatus;
  readonly evidence: readonly Evidence[];
  /** The policy of `@hardened-coder/policy` that guards it, when one does. */
  readonly policy?: string;
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
  /** Recommendation ids that a policy guards; @default every id whose enforcement is not "documented". */
  readonly policyIds?: readonly string[];
}

/** Builds the report from a stack's resources. */
export function complianceReport(
  resources: readonly StackResource[],
  options: ComplianceReportOptions = {},
): ComplianceReport {
  const byType = new Map<string, string[]>();
  for (const r of resources) byType.set(r.type, [...(byType.get(r.type) ?? []), r.urn]);
  const policyIds = new Set(
    options.policyIds ?? recommendations.filter((r) => r.enforcement !== "documented").map((r) => r.id),
  );

  const entries = recommendations.map((rec): ComplianceEntry => {
    const evidence: Evidence[] = [];
    for (const c of rec.controls) {
      for (const urn of byType.get(c.component) ?? []) {
        evidence.push({ urn, component: c.component, setting: c.setting, kind: c.kind });
      }
    }
    let status: ComplianceStatus = "site-admin-duty";
    if (rec.enforcement !== "documented" && evidence.length > 0) {
      status = evidence.some((e) => e.kind === "default") ? "met-by-default" : "validated";
    }
    return {
      id: rec.id,
      section: rec.section,
      text: rec.text,
      responsibility: rec.responsibility,
      status,
      evidence,
      ...(policyIds.has(rec.id) ? { policy: rec.id } : {}),
      siteAdminDuty:
        status === "site-admin-duty" && rec.enforcement !== "documented"
          ? `Not covered by a component in this stack. ${rec.siteAdminDuty}`
          : rec.siteAdminDuty,
    };
  });
  const summary = { "met-by-default": 0, validated: 0, "site-admin-duty": 0 };
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

/** The report as Markdown: a summary table, then each recommendation with its evidence. */
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
    lines.push(`### ${e.id}: ${e.text}`, "", `Status: **${statusWords[e.status]}**.`, "");
    for (const x of e.evidence) lines.push(`- \`${x.urn}\`: ${x.setting} (${x.kind})`);
    if (e.evidence.length === 0) lines.push("- no component in this stack meets it");
    lines.push("", `Site admin: ${e.siteAdminDuty}`, "");
  }
  return lines.join("\n");
}

/** Resources of a `pulumi stack export` document (version 3 deployments). */
export function resourcesFromStackExport(exported: unknown): StackResource[] {
  const deployment = (exported as { deployment?: { resources?: unknown } } | null)?.deployment;
  const list = deployment?.resources;
  if (!Array.isArray(list)) {
    throw new Error("stack export: expected `deployment.resources` (the output of `pulumi stack export`)");
  }
  return list
    .filter((r): r is { urn: string; type: string } => {
      const o = r as Record<string, unknown> | null;
      return typeof o?.urn === "string" && typeof o?.type === "string";
    })
    .map((r) => ({ urn: r.urn, type: r.type }));
}
