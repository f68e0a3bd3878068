/**
 * The kubeconfig for a GKE cluster, authenticating with `gke-gcloud-auth-plugin` (the caller's own
 * Google credentials, short-lived tokens, nothing long-lived in the file). Pure: no Pulumi.
 *
 * The plugin runs with `--use_application_default_credentials`: it takes the same Application
 * Default Credentials as the Google provider that created the cluster. Without it, the plugin shells
 * out to `gcloud` for gcloud's own active account, which a CI runner (or anyone who only ran
 * `gcloud auth application-default login`) does not have, and which may be another identity.
 */

export interface GkeKubeconfigArgs {
  /** Context, cluster and user name inside the file. */
  readonly name: string;
  /**
   * The control plane's address: an IP (private or public endpoint) or the DNS endpoint's host name.
   * `https://` is added when missing.
   */
  readonly endpoint: string;
  /**
   * The cluster CA (base64 PEM, `masterAuth.clusterCaCertificate`). Omitted for the DNS endpoint,
   * whose certificate is publicly trusted.
   */
  readonly clusterCaCertificate?: string;
}

export const gkeAuthPluginInstallHint =
  "Install gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin); see " +
  "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin";

/** A kubeconfig document (JSON, which kubectl and the Kubernetes provider read as YAML). */
export function gkeKubeconfig(args: GkeKubeconfigArgs): string {
  if (!args.endpoint) throw new Error("endpoint: the cluster has no endpoint yet; wait for the cluster");
  const server = /^https:\/\//.test(args.endpoint) ? args.endpoint : `https://${args.endpoint}`;
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      "current-context": args.name,
      clusters: [
        {
          name: args.name,
          cluster: {
            server,
            ...(args.clusterCaCertificate ? { "certificate-authority-data": args.clusterCaCertificate } : {}),
          },
        },
      ],
      contexts: [{ name: args.name, context: { cluster: args.name, user: args.name } }],
      users: [
        {
          name: args.name,
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "gke-gcloud-auth-plugin",
              args: ["--use_application_default_credentials"],
              installHint: gkeAuthPluginInstallHint,
              provideClusterInfo: true,
              interactiveMode: "IfAvailable",
            },
          },
        },
      ],
    },
    null,
    2,
  );
}
