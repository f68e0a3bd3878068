/**
 * ECR for approved workspace images: repositories with immutable tags, scan on push and KMS
 * encryption, and a pull policy for the cluster's node role that reaches those repositories and
 * nothing else (registry-dedicated-account). On EKS the kubelet pulls with the node role, so the
 * node role is the "Coder-only registry account": no account-wide ECR policy is attached to it, and
 * the repositories' URLs become the admission policy's approved prefixes (registry-approved-images).
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ecrRepositoryArn } from "./arn";
import { ecrPullPolicy, policyJson } from "./iam";

export const awsRegistryPullAccountToken = "hardened-coder:aws:RegistryPullAccount";

export interface RegistryPullAccountArgs {
  /**
   * Names of the ECR repositories that hold approved images (created here, e.g. `coder/base`).
   * Serves registry-approved-images.
   * @default [`${resourceName}/workspaces`]
   */
  readonly repositories?: readonly string[];
  /**
   * Names of the IAM roles that may pull from them: the cluster's node role. Each gets an inline
   * policy for these repositories only. Serves registry-dedicated-account.
   * @default [] (no role; grant pulls yourself with `pullPolicyJson`)
   */
  readonly pullRoleNames?: readonly pulumi.Input<string>[];
  /**
   * ARN of the customer-managed KMS key that encrypts the images.
   * @default the AWS-managed `aws/ecr` key (still KMS, but its use is not limited by your key policy)
   */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /**
   * Let tags be overwritten. Costs: an approved tag can then be re-pointed at another image after
   * review, and the admission policy (which matches names) cannot tell. Serves registry-approved-images.
   * @default false (IMMUTABLE)
   */
  readonly mutableTags?: boolean;
  /**
   * Let `pulumi destroy` delete repositories that still hold images.
   * @default false
   */
  readonly forceDelete?: boolean;
  /** Tags for the repositories. */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface RegistryPullAccountConfig {
  readonly repositories: readonly string[];
  readonly imageTagMutability: "IMMUTABLE" | "MUTABLE";
  readonly scanOnPush: true;
  readonly forceDelete: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/** ECR repository names: 2-256 characters, lower-case path components separated by `/`. */
const repositoryName = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Fills defaults and refuses bad values, naming the field. Pure. */
export function resolveRegistryPullAccountArgs(
  args: Omit<RegistryPullAccountArgs, "pullRoleNames" | "kmsKeyArn">,
  resourceName: string,
): RegistryPullAccountConfig {
  const repositories = args.repositories ?? [`${resourceName.toLowerCase()}/workspaces`];
  if (repositories.length === 0) {
    throw new Error(
      "repositories: an empty list leaves no approved images, so no workspace could start; name at least one ECR repository",
    );
  }
  const seen = new Set<string>();
  for (const [i, r] of repositories.entries()) {
    if (r.length < 2 || r.length > 256 || !repositoryName.test(r)) {
      throw new Error(
        `repositories[${i}]: "${r}" is not an ECR repository name; use lower-case letters, digits, '.', '_', '-' ` +
          `and '/' between components, 2-256 characters`,
      );
    }
    if (seen.has(r)) throw new Error(`repositories[${i}]: "${r}" is listed twice; list each repository once`);
    seen.add(r);
  }
  return {
    repositories,
    imageTagMutability: args.mutableTags ? "MUTABLE" : "IMMUTABLE",
    scanOnPush: true,
    forceDelete: args.forceDelete ?? false,
    tags: { ...args.tags },
  };
}

/**
 * The approved image prefixes for a repository URL: any tag (`url:`) or digest (`url@`) of that one
 * repository, never `url/` (other repositories under it are not approved) or a bare `url` (which
 * would also admit `url-evil`).
 */
export function approvedPrefixesForRepository(repositoryUrl: string): string[] {
  return [`${repositoryUrl}:`, `${repositoryUrl}@`];
}

/**
 * ECR repositories for approved images plus a pull grant on exactly those to the given roles.
 *
 * ```ts
 * const registry = new aws.RegistryPullAccount("coder", { repositories: ["coder/base"], pullRoleNames: [nodeRole.name] });
 * new hc.WorkspaceAdmissionPolicy("coder", { namespace: "coder", approvedImages: registry.approvedImagePrefixes });
 * ```
 */
export class RegistryPullAccount extends pulumi.ComponentResource {
  public readonly repositories: aws.ecr.Repository[];
  public readonly repositoryUrls: pulumi.Output<string[]>;
  public readonly repositoryArns: pulumi.Output<string[]>;
  /** `<account>.dkr.ecr.<region>.amazonaws.com`, the registry host. */
  public readonly registryServer: pulumi.Output<string>;
  /** What WorkspaceAdmissionPolicy's `approvedImages` takes: `url:` and `url@` for every repository. */
  public readonly approvedImagePrefixes: pulumi.Output<string[]>;
  /** The pull policy (JSON): token on `*`, pull actions on these repositories only. */
  public readonly pullPolicyJson: pulumi.Output<string>;
  public readonly rolePolicies: aws.iam.RolePolicy[];

  constructor(name: string, args: RegistryPullAccountArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const config = resolveRegistryPullAccountArgs(args, name);
    super(awsRegistryPullAccountToken, name, {}, opts);

    this.repositories = config.repositories.map(
      (repo, i) =>
        new aws.ecr.Repository(
          `${name}-${i}`,
          {
            name: repo,
            imageTagMutability: config.imageTagMutability,
            imageScanningConfiguration: { scanOnPush: config.scanOnPush },
            encryptionConfigurations: [
              args.kmsKeyArn !== undefined
                ? { encryptionType: "KMS", kmsKey: args.kmsKeyArn }
                : { encryptionType: "KMS" },
            ],
            forceDelete: config.forceDelete,
            tags: config.tags,
          },
          { parent: this },
        ),
    );
    this.repositoryUrls = pulumi.all(this.repositories.map((r) => r.repositoryUrl));
    this.repositoryArns = pulumi.all(this.repositories.map((r) => r.arn));
    this.registryServer = this.repositories[0]!.repositoryUrl.apply((u) => u.split("/")[0]!);
    this.approvedImagePrefixes = this.repositoryUrls.apply((urls) => urls.flatMap(approvedPrefixesForRepository));

    // The ARNs are built from the names so that the policy, like the repositories, is known at preview.
    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    this.pullPolicyJson = pulumi
      .all([partition.partition, region.region, identity.accountId])
      .apply(([p, r, a]) => policyJson(ecrPullPolicy(config.repositories.map((n) => ecrRepositoryArn(p, r, a, n)))));
    this.rolePolicies = (args.pullRoleNames ?? []).map(
      (role, i) =>
        new aws.iam.RolePolicy(
          `${name}-pull-${i}`,
          { role, name: "ecr-pull-approved-repositories", policy: this.pullPolicyJson },
          { parent: this },
        ),
    );

    this.registerOutputs({
      repositoryUrls: this.repositoryUrls,
      repositoryArns: this.repositoryArns,
      registryServer: this.registryServer,
      approvedImagePrefixes: this.approvedImagePrefixes,
      pullPolicyJson: this.pullPolicyJson,
    });
  }
}
