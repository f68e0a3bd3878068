/**
 * The customer-managed KMS key's policy, built in code. Pure; no Pulumi.
 *
 * The usual default key policy gives the account root `kms:*`, which hands every use of the key to
 * whatever IAM policies the account holds. Here the account keeps administration only (so the key
 * can never be locked out and its policy stays editable), and each use is granted to the one
 * principal that needs it (storage-encryption, storage-cloud-access):
 * - the EKS cluster role: envelope encryption of Kubernetes Secrets;
 * - the EBS CSI controller's role and EC2 Auto Scaling's service-linked role: workspace volumes and
 *   node root volumes, with grants only for AWS resources (EC2 holds a grant while a volume is attached);
 * - CloudWatch Logs, only for the stack's own log groups (by encryption context);
 * - IAM principals of the account may have AWS services create grants for them (EKS, ECR and RDS
 *   do so when the deployer creates an encrypted cluster, repository or database), never for themselves.
 * The node role is not among them: nodes cannot decrypt, snapshot or read volumes themselves.
 */
import { policy, type PolicyDocument, type PolicyStatement } from "./iam";

/** Administrative actions the account keeps: manage, describe, rotate, delete. No data-plane use. */
export const keyAdministrationActions = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListAliases",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RetireGrant",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
] as const;

/** What a principal that encrypts data with the key may do. */
export const keyUseActions = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:DescribeKey",
] as const;

/** Grant actions, always conditioned on the grant being for an AWS resource. */
export const keyGrantActions = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"] as const;

/** Actions EKS needs on the key for envelope encryption of Secrets. */
export const eksSecretsEncryptionActions = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"] as const;

export interface KeyPolicyArgs {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  /** The EKS cluster role (secrets envelope encryption). */
  readonly clusterRoleArn: string;
  /** Roles that create and attach encrypted EBS volumes: the EBS CSI controller's and Auto Scaling's. */
  readonly volumeRoleArns: readonly string[];
  /** CloudWatch log groups encrypted with the key (EKS control-plane logs, VPC flow logs). */
  readonly logGroupArns: readonly string[];
  /**
   * AWS services (e.g. `secretsmanager`, `rds`) through which IAM principals of the account may use
   * the key for data: the service, not the principal, then touches the key (kms:ViaService), and
   * the principal still needs an IAM allow for the key and for the service's resource.
   */
  readonly viaServices?: readonly string[];
}

/** Builds the key policy described above. */
export function keyPolicy(args: KeyPolicyArgs): PolicyDocument {
  const root = `arn:${args.partition}:iam::${args.accountId}:root`;
  const grantForAwsResource = { Bool: { "kms:GrantIsForAWSResource": "true" } };
  const statements: PolicyStatement[] = [
    {
      Sid: "AccountAdministersKeyButCannotUseIt",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: [...keyAdministrationActions],
      Resource: "*",
    },
    {
      Sid: "AwsServicesCreateGrantsForAccountPrincipals",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: "kms:CreateGrant",
      Resource: "*",
      Condition: grantForAwsResource,
    },
    {
      Sid: "EksSecretsEnvelopeEncryption",
      Effect: "Allow",
      Principal: { AWS: args.clusterRoleArn },
      Action: [...eksSecretsEncryptionActions],
      Resource: "*",
    },
  ];
  if (args.volumeRoleArns.length > 0) {
    statements.push(
      {
        Sid: "EncryptedEbsVolumes",
        Effect: "Allow",
        Principal: { AWS: [...args.volumeRoleArns] },
        Action: [...keyUseActions],
        Resource: "*",
      },
      {
        Sid: "EbsAttachmentGrants",
        Effect: "Allow",
        Principal: { AWS: [...args.volumeRoleArns] },
        Action: [...keyGrantActions],
        Resource: "*",
        Condition: grantForAwsResource,
      },
    );
  }
  if (args.logGroupArns.length > 0) {
    statements.push({
      Sid: "CloudWatchLogsForStackLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${args.region}.amazonaws.com` },
      Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
      Resource: "*",
      Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [...args.logGroupArns] } },
    });
  }
  const via = args.viaServices ?? [];
  if (via.length > 0) {
    statements.push({
      Sid: "AccountPrincipalsThroughNamedServicesOnly",
      Effect: "Allow",
      Principal: { AWS: root },
      Action: [...keyUseActions],
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": args.accountId,
          "kms:ViaService": via.map((s) => `${s}.${args.region}.amazonaws.com`),
        },
      },
    });
  }
  return policy(...statements);
}

/** The principals (role ARNs, service names) a key policy lets use the key for data. */
export function keyUsers(doc: PolicyDocument): string[] {
  const dataActions = new Set<string>([...keyUseActions, "kms:Encrypt*", "kms:Decrypt*"]);
  const users = new Set<string>();
  for (const s of doc.Statement) {
    const actions = typeof s.Action === "string" ? [s.Action] : s.Action;
    if (s.Effect !== "Allow" || !actions.some((a) => dataActions.has(a) && a !== "kms:DescribeKey")) continue;
    if (typeof s.Principal !== "object") continue;
    for (const v of Object.values(s.Principal)) for (const p of typeof v === "string" ? [v] : v) users.add(p);
  }
  return [...users];
}
