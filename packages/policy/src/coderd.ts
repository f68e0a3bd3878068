/**
 * Finding coderd's configuration in a stack, however it was installed: the values of the coder Helm
 * chart (`helm.sh/v4:Chart` or `helm.sh/v3:Release` inputs) or a workload running the coder image
 * (the Deployment a chart renders, or a hand-written one). Both give coderd's environment, which is
 * where every setting the seed cares about lives (`CODER_*`).
 */
import { type CheckedResource, type Props, at, isTrue, list, record, str, strings } from "./model";
import { containersOf, isKind, objectNamespace, podSpecOf } from "./kubernetes";

export interface EnvVar {
  readonly value?: string;
  /** `valueFrom` as written (secretKeyRef, configMapKeyRef, fieldRef ...). */
  readonly valueFrom?: Props;
}

export interface CoderdConfig {
  readonly resource: CheckedResource;
  /** Where the settings were read: chart values, or a workload's container. */
  readonly source: "chart" | "workload";
  /** The namespace coderd runs in, when known. */
  readonly namespace?: string;
  readonly env: ReadonlyMap<string, EnvVar>;
  /** `coder server` arguments: the chart's `coder.commandArgs`, or the container's command and args. */
  readonly args: readonly string[];
  /** TLS served by coderd itself: `coder.tls.secretNames` set, or `CODER_TLS_ENABLE=true`. */
  readonly tls: boolean;
  /** coderd's ServiceAccount, when the settings name it. */
  readonly serviceAccount?: { readonly namespace: string; readonly name: string };
  /** `coder.serviceAccount.workspacePerms` (chart only; the chart's default is true). */
  readonly workspacePerms?: unknown;
  /** `coder.service` (chart only). */
  readonly service?: Props;
}

const helmTypes = ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Chart"];

/** The coder chart, by name or repository (https://helm.coder.com/v2, oci://ghcr.io/coder/chart/coder). */
export function isCoderChart(r: CheckedResource): boolean {
  if (!helmTypes.includes(r.type)) return false;
  const chart = str(r.props.chart) ?? "";
  const repo = str(at(r.props, "repositoryOpts.repo")) ?? str(at(r.props, "fetchOpts.repo")) ?? "";
  const bare = chart.replace(/[:@].*$/, "");
  return /(^|\/)coder$/.test(bare) || /helm\.coder\.com/.test(repo) || /ghcr\.io\/coder\/chart/.test(chart);
}

/** The coder image: `ghcr.io/coder/coder`, any tag or digest. */
export function isCoderImage(image: string): boolean {
  return /(^|\/)coder\/coder([:@]|$)/.test(image);
}

function envOf(entries: unknown): Map<string, EnvVar> {
  const env = new Map<string, EnvVar>();
  for (const e of list(entries).map(record)) {
    const name = str(e.name);
    if (name === undefined) continue;
    const value = e.value === undefined || e.value === null ? undefined : str(e.value);
    env.set(name, {
      ...(value !== undefined ? { value } : {}),
      ...(e.valueFrom !== undefined ? { valueFrom: record(e.valueFrom) } : {}),
    });
  }
  return env;
}

/** Values of a Helm resource, whether inline (`values`) or not given (the chart's defaults). */
function chartValues(r: CheckedResource): Props {
  return record(r.props.values);
}

function fromChart(r: CheckedResource): CoderdConfig {
  const coder = record(chartValues(r).coder);
  const env = envOf(coder.env);
  const secretNames = strings(at(coder, "tls.secretNames"));
  const namespace = str(r.props.namespace);
  const saName = str(at(coder, "serviceAccount.name")) ?? "coder";
  return {
    resource: r,
    source: "chart",
    ...(namespace !== undefined ? { namespace } : {}),
    env,
    args: strings(coder.commandArgs),
    tls: secretNames.length > 0 || isTrue(env.get("CODER_TLS_ENABLE")?.value),
    ...(namespace !== undefined ? { serviceAccount: { namespace, name: saName } } : {}),
    workspacePerms: at(coder, "serviceAccount.workspacePerms"),
    service: record(coder.service),
  };
}

function fromWorkload(r: CheckedResource): CoderdConfig | undefined {
  const spec = podSpecOf(r);
  if (!spec) return undefined;
  const container = containersOf(spec).find((c) => isCoderImage(str(c.image) ?? ""));
  if (!container) return undefined;
  const env = envOf(container.env);
  const namespace = objectNamespace(r);
  return {
    resource: r,
    source: "workload",
    namespace,
    env,
    args: [...strings(container.command), ...strings(container.args)],
    tls: isTrue(env.get("CODER_TLS_ENABLE")?.value),
    serviceAccount: { namespace, name: str(spec.serviceAccountName) ?? "default" },
  };
}

/** coderd's configuration if this resource installs coderd, else undefined. */
export function coderdConfigOf(r: CheckedResource): CoderdConfig | undefined {
  if (isCoderChart(r)) return fromChart(r);
  if (isKind(r, "Deployment", "StatefulSet", "Pod")) return fromWorkload(r);
  return undefined;
}

/** `CODER_DISABLE_PASSWORD_AUTH` -> `disable-password-auth`: coder's flag for an env var. */
function flagOf(envName: string): string {
  return envName
    .replace(/^CODER_/, "")
    .toLowerCase()
    .replace(/_/g, "-");
}

/**
 * A setting's plain value (undefined when unset or set by reference): its `coder server` flag when
 * the command line has it, else its env var.
 */
export function envValue(cfg: CoderdConfig, name: string): string | undefined {
  return settingValue(cfg, name, flagOf(name));
}

/**
 * A `coder server` setting as coderd resolves it: the command-line flag (`--name=value`, `--name
 * value`, or a bare boolean `--name`) wins over the environment variable.
 */
export function settingValue(cfg: CoderdConfig, envName: string, flag: string): string | undefined {
  for (let i = cfg.args.length - 1; i >= 0; i--) {
    const a = cfg.args[i]!;
    if (a.startsWith(`--${flag}=`)) return a.slice(flag.length + 3);
    if (a === `--${flag}`) {
      const next = cfg.args[i + 1];
      return next !== undefined && !next.startsWith("--") ? next : "true";
    }
  }
  return cfg.env.get(envName)?.value;
}

/** Names of the env vars that hold secrets and so must arrive by `valueFrom.secretKeyRef`. */
export function isSecretEnvName(name: string): boolean {
  return (
    name === "CODER_PG_CONNECTION_URL" ||
    name === "CODER_OIDC_CLIENT_SECRET" ||
    name === "CODER_OAUTH2_GITHUB_CLIENT_SECRET" ||
    name === "CODER_PROVISIONER_DAEMON_PSK" ||
    /^CODER_EXTERNAL_AUTH_\d+_CLIENT_SECRET$/.test(name)
  );
}

/** A secret env var written as a plain `value` (in state and in the pod spec for anyone to read). */
export function plainSecret(cfg: CoderdConfig, name: string): boolean {
  const v = cfg.env.get(name);
  return v !== undefined && v.value !== undefined && v.value !== "";
}

/** Where a message points: the chart's values or the workload's container env. */
export function envSetting(cfg: CoderdConfig, name: string): string {
  return cfg.source === "chart" ? `values.coder.env ${name}` : `container env ${name}`;
}

export interface ExternalAuthProvider {
  readonly index: number;
  readonly id?: string;
  readonly type?: string;
  readonly regex?: string;
  readonly scopes?: string;
}

/** The `CODER_EXTERNAL_AUTH_<N>_*` providers, by index. */
export function externalAuthProviders(cfg: CoderdConfig): ExternalAuthProvider[] {
  const byIndex = new Map<number, Record<string, string | undefined>>();
  for (const [name, v] of cfg.env) {
    const m = /^CODER_EXTERNAL_AUTH_(\d+)_([A-Z_]+)$/.exec(name);
    if (!m) continue;
    const i = Number(m[1]);
    const fields = byIndex.get(i) ?? {};
    fields[m[2]!] = v.value;
    byIndex.set(i, fields);
  }
  return [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, f]) => ({
      index,
      ...(f.ID !== undefined ? { id: f.ID } : {}),
      ...(f.TYPE !== undefined ? { type: f.TYPE } : {}),
      ...(f.REGEX !== undefined ? { regex: f.REGEX } : {}),
      ...(f.SCOPES !== undefined ? { scopes: f.SCOPES } : {}),
    }));
}
