import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import { checkKmsKeyId, checkKmsKeyLocation } from "./EncryptedStorageClass";
import { artifactRegistryReaderRole, kmsEncrypterDecrypterRole, serviceAccountMember } from "./iam";

/**
 * Artifact Registry for approved workspace images: Docker repositories encrypted with a Cloud KMS key,
 * readable by the node service account alone. GKE nodes pull with their own identity, so no pull
 * Secret exists in the cluster; the repositories' paths become the admission policy's approved
 * prefixes (registry-dedicated-account, registry-approved-images).
 */
export interface RegistryPullAccountArgs {
  /**
   * Region of the repositories; it must be the Cloud KMS key's location (CMEK needs both in one place).
   * Images are then `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/...`.
   */
  readonly location: pulumi.Input<string>;
  /**
   * Project that holds the repositories.
   * @default the Google provider's project
   */
  readonly project?: pulumi.Input<string>;
  /**
   * Ids of the Docker repositories to create, one per approved image family. Each id: lower-case
   * letters, digits and '-', starting with a letter, at most 63 characters.
   * @default ["workspaces"]
   */
  readonly repositories?: readonly string[];
  /**
   * The Cloud KMS key (`projects/.../cryptoKeys/...`) that encrypts the repositories (CMEK;
   * storage-encryption), in `location`: a plain key id in another location is refused.
   */
  readonly kmsKeyName: pulumi.Input<string>;
  /**
   * Email of the service account that may pull: the GKE node service account. It is granted
   * `roles/artifactregistry.reader` on each repository and nowhere else (registry-dedicated-account).
   */
  readonly readerServiceAccountEmail: pulumi.Input<string>;
  /**
   * Allow a tag to be moved to another image. Costs: an approved tag can be silently repointed to
   * an image nobody reviewed.
   * @default false (tags are immutable)
   */
  readonly mutableTags?: boolean;
  /**
   * Grant the project's Artifact Registry service agent encrypt/decrypt on `kmsKeyName` (needed
   * before a CMEK repository can be created). Turn off only when the key's owner grants it elsewhere.
   * @default true
   */
  readonly grantServiceAgentKeyAccess?: boolean;
  /** Labels on the repositories. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface RegistryPullAccountConfig {
  readonly location: pulumi.Input<string>;
  readonly project?: pulumi.Input<string>;
  readonly repositories: readonly string[];
  readonly kmsKeyName: pulumi.Input<string>;
  readonly readerServiceAccountEmail: pulumi.Input<string>;
  readonly immutableTags: boolean;
  readonly grantServiceAgentKeyAccess: boolean;
  readonly labels: Readonly<Record<string, string>>;
}

export const defaultRepositories = ["workspaces"] as const;

/** Checks the reader's email, as plain value or inside an `apply`. */
export function checkReaderEmail(email: string): string {
  if (!/^[^@\s]+@[^@\s]+\.gserviceaccount\.com$/.test(email)) {
    throw new Error(
      `readerServiceAccountEmail: "${email}" is not a service account email; pass the node service account's email ` +
        `(NAME@PROJECT.iam.gserviceaccount.com), never a user or group`,
    );
  }
  return email;
}

/** Fills defaults and refuses bad repository ids, naming the field. Pure. */
export function resolveRegistryPullAccountArgs(args: RegistryPullAccountArgs): RegistryPullAccountConfig {
  if (args.kmsKeyName === undefined || args.kmsKeyName === "") {
    throw new Error("kmsKeyName: required; pass the Cloud KMS key that encrypts the repositories (CMEK)");
  }
  if (args.readerServiceAccountEmail === undefined || args.readerServiceAccountEmail === "") {
    throw new Error("readerServiceAccountEmail: required; pass the GKE node service account's email");
  }
  if (typeof args.readerServiceAccountEmail === "string") checkReaderEmail(args.readerServiceAccountEmail);
  if (typeof args.kmsKeyName === "string") {
    if (typeof args.location === "string")
      checkKmsKeyLocation("kmsKeyName", args.kmsKeyName, "location", args.location);
    else checkKmsKeyId("kmsKeyName", args.kmsKeyName);
  }
  const repositories = [...(args.repositories ?? defaultRepositories)];
  if (repositories.length === 0) {
    throw new Error("repositories: [] leaves no approved registry; list at least one repository id");
  }
  const seen = new Set<string>();
  for (const id of repositories) {
    if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(id)) {
      throw new Error(
        `repositories: "${id}" is not a valid Artifact Registry repository id; use lower-case letters, digits and '-', ` +
          `a letter first, at most 63 characters`,
      );
    }
    if (seen.has(id)) throw new Error(`repositories: "${id}" is listed twice; list each repository once`);
    seen.add(id);
  }
  return {
    location: args.location,
    ...(args.project !== undefined ? { project: args.project } : {}),
    repositories,
    kmsKeyName: args.kmsKeyName,
    readerServiceAccountEmail: args.readerServiceAccountEmail,
    immutableTags: !(args.mutableTags ?? false),
    grantServiceAgentKeyAccess: args.grantServiceAgentKeyAccess ?? true,
    labels: { ...(args.labels ?? {}) },
  };
}

export class RegistryPullAccount extends pulumi.ComponentResource {
  /** The Docker repositories, by id. */
  public readonly repositories: Readonly<Record<string, gcp.artifactregistry.Repository>>;
  /** The reader bindings, one per repository, for the node service account only. */
  public readonly readerBindings: readonly gcp.artifactregistry.RepositoryIamMember[];
  /** Repository ids. */
  public readonly repositoryIds: pulumi.Output<string[]>;
  /** `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/` per repository: the admission policy's approved prefixes. */
  public readonly approvedImages: pulumi.Output<string[]>;
  /** The registry host (`LOCATION-docker.pkg.dev`). */
  public readonly server: pulumi.Output<string>;

  constructor(name: string, args: RegistryPullAccountArgs, opts?: pulumi.ComponentResourceOptions) {
    const config = resolveRegistryPullAccountArgs(args);
    super("hardened-coder:gcp:RegistryPullAccount", name, {}, opts);

    const project = config.project;
    const keyGrants: pulumi.Resource[] = [];
    if (config.grantServiceAgentKeyAccess) {
      // The service agent only exists once Artifact Registry has been used in the project; the
      // ServiceIdentity resource makes sure it does before the grant.
      const agent = new gcp.projects.ServiceIdentity(
        `${name}-ar-agent`,
        { service: "artifactregistry.googleapis.com", ...(project !== undefined ? { project } : {}) },
        { parent: this },
      );
      keyGrants.push(
        new gcp.kms.CryptoKeyIAMMember(
          `${name}-ar-agent-key`,
          { cryptoKeyId: config.kmsKeyName, role: kmsEncrypterDecrypterRole, member: agent.member },
          { parent: this },
        ),
      );
    }

    const member = pulumi
      .output(config.readerServiceAccountEmail)
      .apply((e) => serviceAccountMember(checkReaderEmail(e)));
    const repositories: Record<string, gcp.artifactregistry.Repository> = {};
    const readerBindings: gcp.artifactregistry.RepositoryIamMember[] = [];
    for (const id of config.repositories) {
      const repo = new gcp.artifactregistry.Repository(
        `${name}-${id}`,
        {
          repositoryId: id,
          location: config.location,
          ...(project !== undefined ? { project } : {}),
          format: "DOCKER",
          mode: "STANDARD_REPOSITORY",
          description: "Approved images for Coder workspaces (hardened-coder)",
          kmsKeyName: config.kmsKeyName,
          dockerConfig: { immutableTags: config.immutableTags },
          vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
          labels: { ...config.labels, "managed-by": "pulumi", "part-of": "hardened-coder" },
        },
        { parent: this, dependsOn: keyGrants },
      );
      repositories[id] = repo;
      readerBindings.push(
        new gcp.artifactregistry.RepositoryIamMember(
          `${name}-${id}-reader`,
          {
            repository: repo.name,
            location: repo.location,
            project: repo.project,
            role: artifactRegistryReaderRole,
            member,
          },
          { parent: this },
        ),
      );
    }

    this.repositories = repositories;
    this.readerBindings = readerBindings;
    const repos = Object.values(repositories);
    this.repositoryIds = pulumi.all(repos.map((r) => r.repositoryId));
    this.approvedImages = pulumi.all(
      repos.map((r) => pulumi.interpolate`${r.location}-docker.pkg.dev/${r.project}/${r.repositoryId}/`),
    );
    this.server = pulumi.interpolate`${repos[0]!.location}-docker.pkg.dev`;
    this.registerOutputs({
      repositoryIds: this.repositoryIds,
      approvedImages: this.approvedImages,
      server: this.server,
    });
  }
}
