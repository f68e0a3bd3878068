/**
 * A pull credential for any container registry: a `kubernetes.io/dockerconfigjson` Secret whose
 * content is a Pulumi secret from end to end, attached to the namespace's workspace ServiceAccount
 * as its image pull secret.
 *
 * Ownership: `CoderNamespace` owns the workspace ServiceAccount object. This component owns only the
 * account's `imagePullSecrets` field, through a server-side-apply patch (its own field manager), so
 * removing it removes the pull secret and nothing else. The patch also states
 * `automountServiceAccountToken: false` (the value `CoderNamespace` sets; equal values are shared,
 * not a conflict), so that on a namespace made some other way the account it creates has no token.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { isDnsSubdomain, managedByLabels, requireDnsLabel } from "./labels";

export interface RegistryPullAccountArgs {
  /** The workspace namespace (e.g. `CoderNamespace.namespaceName`). */
  readonly namespace: pulumi.Input<string>;
  /**
   * The registry host, optionally with a port and a repository path prefix that limits which images
   * the credential is sent for: `registry.example.com`, `registry.example.com:5000/coder`. No scheme.
   * Serves registry-dedicated-account.
   */
  readonly server: pulumi.Input<string>;
  /**
   * The registry account: a Coder-only, read-only account (the seed's dedicated account).
   * Serves registry-dedicated-account.
   */
  readonly username: pulumi.Input<string>;
  /** The account's password or token. Pass a Pulumi secret (`pulumi.secret(...)` or secret config). */
  readonly password: pulumi.Input<string>;
  /**
   * Email recorded with the credential (some registries ask for one).
   * @default unset
   */
  readonly email?: pulumi.Input<string>;
  /**
   * The ServiceAccount that uses the credential: the workspace account `CoderNamespace` creates.
   * @default "coder-workspace"
   */
  readonly serviceAccountName?: pulumi.Input<string>;
  /**
   * The Secret's name.
   * @default "<component name>-registry-pull"
   */
  readonly secretName?: string;
}

/** The args with every value plain, as inside `apply`. */
export interface RegistryPullAccountPlainArgs {
  readonly namespace: string;
  readonly server: string;
  readonly username: string;
  readonly password: string;
  readonly email?: string;
  readonly serviceAccountName?: string;
  readonly secretName?: string;
}

/** Everything but the password: the password never leaves a secret Output. */
export interface RegistryPullAccountConfig {
  readonly namespace: string;
  readonly server: string;
  readonly username: string;
  readonly email?: string;
  readonly serviceAccountName: string;
  readonly secretName: string;
}

const hostLabel = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const repoComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const serverPattern = new RegExp(`^(${hostLabel}(?:\\.${hostLabel})*)(?::(\\d{1,5}))?((?:/${repoComponent})*)$`);

function requireText(field: string, value: unknown): string {
  if (typeof value !== "string") throw new Error(`${field}: expected a string, got ${typeof value}`);
  return value;
}

function checkServer(value: unknown): string {
  const server = requireText("server", value);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(server)) {
    const host = server.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, "").replace(/\/+$/, "");
    throw new Error(`server: "${server}" has a scheme; the kubelet matches registries by host: use "${host}"`);
  }
  const m = serverPattern.exec(server);
  const port = m?.[2] === undefined ? 1 : Number(m[2]);
  if (!m || port < 1 || port > 65535) {
    throw new Error(
      `server: "${server}" is not a registry host; write host[:port][/path] in lower case, e.g. ` +
        `registry.example.com or registry.example.com:5000/coder (no scheme, query or trailing slash)`,
    );
  }
  return server;
}

/**
 * Fills defaults and refuses bad values, naming the field (never echoing the password). Pure;
 * `resourceName` names the default Secret.
 */
export function resolveRegistryPullAccountArgs(
  args: RegistryPullAccountPlainArgs,
  resourceName = "coder",
): RegistryPullAccountConfig {
  const namespace = requireDnsLabel("namespace", requireText("namespace", args.namespace));
  const server = checkServer(args.server);
  const username = requireText("username", args.username);
  if (username.trim().length === 0) throw new Error(`username: empty; give the registry account's name`);
  if (username.includes(":") || /[\s\p{Cc}]/u.test(username)) {
    throw new Error(
      `username: "${username}" contains ':', whitespace or control characters, which break the ` +
        `user:password credential; use the account's plain name`,
    );
  }
  const password = requireText("password", args.password);
  if (password.length === 0) throw new Error(`password: empty; give the registry account's password or token`);
  if (args.email !== undefined) {
    const email = requireText("email", args.email);
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new Error(`email: "${email}" is not an email address`);
  }
  const serviceAccountName = requireText("serviceAccountName", args.serviceAccountName ?? "coder-workspace");
  if (!isDnsSubdomain(serviceAccountName)) {
    throw new Error(`serviceAccountName: "${serviceAccountName}" is not a valid Kubernetes name`);
  }
  if (serviceAccountName === "default") {
    throw new Error(
      `serviceAccountName: "default" is every pod's account, so every pod could pull with this credential; ` +
        `use the workspace account (CoderNamespace.workspaceServiceAccountName)`,
    );
  }
  const secretName = args.secretName ?? `${resourceName}-registry-pull`;
  if (!isDnsSubdomain(secretName)) {
    throw new Error(
      args.secretName === undefined
        ? `name: "${resourceName}" makes the Secret name "${secretName}", which is not a valid Kubernetes name; ` +
            `set secretName or use a lower-case resource name`
        : `secretName: "${secretName}" is not a valid Kubernetes name; use lower-case letters, digits, '-' and '.'`,
    );
  }
  return {
    namespace,
    server,
    username,
    ...(args.email !== undefined ? { email: args.email } : {}),
    serviceAccountName,
    secretName,
  };
}

/** The `.dockerconfigjson` content. Call it only inside a secret Output: it holds the password. */
export function dockerConfigJson(config: RegistryPullAccountConfig, password: string): string {
  const auth = Buffer.from(`${config.username}:${password}`, "utf8").toString("base64");
  return JSON.stringify({
    auths: {
      [config.server]: {
        username: config.username,
        password,
        auth,
        ...(config.email !== undefined ? { email: config.email } : {}),
      },
    },
  });
}

/** A plain value, or `standIn` when the input is only known later (it is checked again in apply). */
function plainOr<T>(value: pulumi.Input<T>, standIn: T): T {
  return pulumi.Output.isInstance(value) || value instanceof Promise ? standIn : value;
}

/** A registry pull Secret (a Pulumi secret) used by the workspace ServiceAccount. */
export class RegistryPullAccount extends pulumi.ComponentResource {
  public readonly secretName: pulumi.Output<string>;
  public readonly serviceAccountName: pulumi.Output<string>;
  public readonly secret: k8s.core.v1.Secret;
  /** The patch that attaches the Secret to the ServiceAccount as its image pull secret. */
  public readonly serviceAccountPatch: k8s.core.v1.ServiceAccountPatch;

  constructor(name: string, args: RegistryPullAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    const plain = (v: {
      namespace: string;
      server: string;
      username: string;
      password: string;
      email: string | undefined;
      serviceAccountName: string | undefined;
    }): RegistryPullAccountPlainArgs => ({
      namespace: v.namespace,
      server: v.server,
      username: v.username,
      password: v.password,
      ...(v.email !== undefined ? { email: v.email } : {}),
      ...(v.serviceAccountName !== undefined ? { serviceAccountName: v.serviceAccountName } : {}),
      ...(args.secretName !== undefined ? { secretName: args.secretName } : {}),
    });
    // Plain values are checked before anything registers; Outputs stand in now and are checked by
    // the same function once known.
    const standIns = {
      namespace: plainOr(args.namespace, "pending-namespace"),
      server: plainOr(args.server, "pending.registry"),
      username: plainOr(args.username, "pending-user"),
      password: plainOr(args.password, "pending-password"),
      email: args.email === undefined ? undefined : plainOr(args.email, "pending@example.com"),
      serviceAccountName:
        args.serviceAccountName === undefined ? undefined : plainOr(args.serviceAccountName, "pending-account"),
    };
    const planned = resolveRegistryPullAccountArgs(plain(standIns), name);

    super("hardened-coder:kubernetes:RegistryPullAccount", name, {}, opts);

    // Names come from the non-secret inputs only, so they stay readable in state.
    const names = pulumi
      .all([args.namespace, args.serviceAccountName])
      .apply(([namespace, serviceAccountName]) =>
        resolveRegistryPullAccountArgs(plain({ ...standIns, namespace, serviceAccountName }), name),
      );
    // The credential is assembled inside a secret Output: it never exists as a plain value in state.
    const content = pulumi.secret(
      pulumi
        .all([args.namespace, args.server, args.username, args.password, args.email, args.serviceAccountName])
        .apply(([namespace, server, username, password, email, serviceAccountName]) =>
          dockerConfigJson(
            resolveRegistryPullAccountArgs(
              plain({ namespace, server, username, password, email, serviceAccountName }),
              name,
            ),
            password,
          ),
        ),
    );

    this.secret = new k8s.core.v1.Secret(
      `${name}-pull-secret`,
      {
        metadata: { name: planned.secretName, namespace: names.namespace, labels: { ...managedByLabels } },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": content },
      },
      { parent: this, additionalSecretOutputs: ["data", "stringData"] },
    );
    this.serviceAccountPatch = new k8s.core.v1.ServiceAccountPatch(
      `${name}-pull-sa`,
      {
        metadata: { name: names.serviceAccountName, namespace: names.namespace },
        automountServiceAccountToken: false,
        imagePullSecrets: [{ name: this.secret.metadata.name }],
      },
      { parent: this },
    );

    this.secretName = this.secret.metadata.name;
    this.serviceAccountName = pulumi
      .all([names.serviceAccountName, this.serviceAccountPatch.metadata.name])
      .apply(([n]) => n);
    this.registerOutputs({ secretName: this.secretName, serviceAccountName: this.serviceAccountName });
  }
}
