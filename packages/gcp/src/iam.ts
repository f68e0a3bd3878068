/**
 * Google Cloud IAM names and role sets for the GKE flavour. Pure: no Pulumi resources, so tests and
 * the report can check who is granted what without the mock engine.
 *
 * Rule kept throughout the package: a grant is a single `*IAMMember` on the one resource it is about
 * (a key, a repository). Only roles that have no resource-level binding are granted on the project.
 */

/** Lets a principal wrap and unwrap data keys with a Cloud KMS key, and nothing else. */
export const kmsEncrypterDecrypterRole = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/** Pull (read) images from an Artifact Registry repository. */
export const artifactRegistryReaderRole = "roles/artifactregistry.reader";

/**
 * What GKE nodes need to report logs and metrics. These act on the project's Cloud Logging and Cloud
 * Monitoring, which have no resource-level IAM, so they are the only project-level grants the node
 * service account gets (node-cloud-access, storage-cloud-access). Image pulls are granted per
 * repository instead.
 */
export const nodeServiceAccountProjectRoles = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
] as const;

/**
 * What coderd's Google service account needs to reach Cloud SQL through the Auth Proxy with IAM
 * database login. Cloud SQL has no instance-level IAM bindings, so these are project-level grants
 * (scoped down by the instance's own IAM database user, which only this account maps to).
 */
export const cloudSqlClientRoles = ["roles/cloudsql.client", "roles/cloudsql.instanceUser"] as const;

/** The scope nodes run with: IAM, not OAuth scopes, decides what the node identity may do. */
export const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

/** The GKE service agent, which encrypts Kubernetes secrets (application-layer secrets encryption). */
export function gkeServiceAgent(projectNumber: string): string {
  return `service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`;
}

/** The Compute Engine service agent, which encrypts persistent disks (boot disks and PD CSI volumes). */
export function computeServiceAgent(projectNumber: string): string {
  return `service-${projectNumber}@compute-system.iam.gserviceaccount.com`;
}

/** The Artifact Registry service agent, which encrypts repository contents with CMEK. */
export function artifactRegistryServiceAgent(projectNumber: string): string {
  return `service-${projectNumber}@gcp-sa-artifactregistry.iam.gserviceaccount.com`;
}

/** The Cloud SQL service agent, which encrypts instance disks and backups with CMEK. */
export function cloudSqlServiceAgent(projectNumber: string): string {
  return `service-${projectNumber}@gcp-sa-cloud-sql.iam.gserviceaccount.com`;
}

/** `serviceAccount:EMAIL`, the IAM member form of a service account. */
export function serviceAccountMember(email: string): string {
  return `serviceAccount:${email}`;
}

/** The Workload Identity pool of a project: `PROJECT.svc.id.goog`. */
export function workloadPool(project: string): string {
  return `${project}.svc.id.goog`;
}

/**
 * The IAM member that a Kubernetes ServiceAccount becomes under Workload Identity:
 * `serviceAccount:PROJECT.svc.id.goog[NAMESPACE/KSA]`.
 */
export function workloadIdentityMember(project: string, namespace: string, serviceAccount: string): string {
  return `serviceAccount:${workloadPool(project)}[${namespace}/${serviceAccount}]`;
}

/**
 * The PostgreSQL user name Cloud SQL gives an IAM service account: its email without
 * `.gserviceaccount.com` (Cloud SQL's rule for CLOUD_IAM_SERVICE_ACCOUNT users).
 */
export function iamDatabaseUserName(serviceAccountEmail: string): string {
  const suffix = ".gserviceaccount.com";
  if (!serviceAccountEmail.endsWith(suffix)) {
    throw new Error(
      `serviceAccountEmail: "${serviceAccountEmail}" is not a service account email; expected NAME@PROJECT.iam${suffix}`,
    );
  }
  return serviceAccountEmail.slice(0, -suffix.length);
}

/** Service account ids: 6 to 30 characters, a lower-case letter first, then letters, digits or '-'. */
export function isServiceAccountId(value: string): boolean {
  return /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(value);
}

/**
 * A service account id made of `base` and `suffix` (e.g. "coder" + "nodes" -> "coder-nodes"),
 * shortening `base` so the whole fits in 30 characters. Throws naming `field` when no valid id
 * results.
 */
export function serviceAccountId(field: string, base: string, suffix: string): string {
  const room = 30 - suffix.length - 1;
  const trimmed = base.slice(0, Math.max(room, 0)).replace(/-+$/, "");
  const id = `${trimmed}-${suffix}`;
  if (!isServiceAccountId(id)) {
    throw new Error(
      `${field}: "${base}" does not make a valid service account id ("${id}"); ` +
        `use 6-30 characters: a lower-case letter first, then lower-case letters, digits or '-'`,
    );
  }
  return id;
}

/** The image path prefix of an Artifact Registry Docker repository, with a trailing slash. */
export function artifactRegistryPrefix(location: string, project: string, repository: string): string {
  return `${location}-docker.pkg.dev/${project}/${repository}/`;
}
