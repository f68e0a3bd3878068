/**
 * IAM policy documents as plain JSON built in code (no `getPolicyDocument` invokes, so a preview
 * needs no cloud round trip). Pure; no Pulumi. Every document here names the one resource it is
 * about; the only `"Resource": "*"` is `ecr:GetAuthorizationToken`, which IAM does not scope.
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Readonly<Record<string, string | readonly string[]>> | "*";
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

export function policy(...statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** Serialises a document the way IAM stores it (stable key order, no whitespace). */
export function policyJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/** Trust for an AWS service principal, e.g. `eks.amazonaws.com`, `ec2.amazonaws.com`. */
export function serviceTrustPolicy(service: string, actions: readonly string[] = ["sts:AssumeRole"]): PolicyDocument {
  return policy({ Sid: "ServiceAssumesRole", Effect: "Allow", Principal: { Service: service }, Action: actions });
}

/** The EKS cluster role's trust: EKS assumes it and tags its sessions. */
export function eksClusterTrustPolicy(): PolicyDocument {
  return serviceTrustPolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]);
}

/** The node role's trust: EC2 instances of the managed node group. */
export function nodeTrustPolicy(): PolicyDocument {
  return serviceTrustPolicy("ec2.amazonaws.com");
}

export interface PodIdentitySubject {
  readonly clusterName: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * Trust for an EKS Pod Identity role, limited by the session tags Pod Identity sets to exactly one
 * ServiceAccount of one namespace on one cluster. Without the conditions, any Pod Identity
 * association in the account that someone may create could hand this role to another pod.
 */
export function podIdentityTrustPolicy(subject: PodIdentitySubject): PolicyDocument {
  return policy({
    Sid: "EksPodIdentityForOneServiceAccount",
    Effect: "Allow",
    Principal: { Service: "pods.eks.amazonaws.com" },
    Action: ["sts:AssumeRole", "sts:TagSession"],
    Condition: {
      StringEquals: {
        "aws:RequestTag/eks-cluster-name": subject.clusterName,
        "aws:RequestTag/kubernetes-namespace": subject.namespace,
        "aws:RequestTag/kubernetes-service-account": subject.serviceAccount,
      },
    },
  });
}

/** Trust for VPC Flow Logs delivering into this account only (confused-deputy guard). */
export function flowLogsTrustPolicy(accountId: string): PolicyDocument {
  return policy({
    Sid: "FlowLogsDeliverForThisAccount",
    Effect: "Allow",
    Principal: { Service: "vpc-flow-logs.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEquals: { "aws:SourceAccount": accountId } },
  });
}

/** What VPC Flow Logs needs to write into one log group. */
export function flowLogsDeliveryPolicy(logGroupArn: string): PolicyDocument {
  return policy({
    Sid: "WriteFlowLogsToOneLogGroup",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
    Resource: [logGroupArn, `${logGroupArn}:*`],
  });
}

/** The read-only actions an image pull takes on a repository. */
export const ecrPullActions = [
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:BatchCheckLayerAvailability",
] as const;

/**
 * Pull from these ECR repositories and nothing else. `ecr:GetAuthorizationToken` has no
 * resource-level scoping in IAM, so it takes `"*"`: the token alone reads nothing, every pull is
 * still authorised per repository by the statement below it.
 */
export function ecrPullPolicy(repositoryArns: readonly string[]): PolicyDocument {
  if (repositoryArns.length === 0) throw new Error("ecrPullPolicy: no repositories to allow");
  return policy(
    { Sid: "EcrLoginTokenHasNoResourceScope", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullApprovedRepositoriesOnly",
      Effect: "Allow",
      Action: [...ecrPullActions],
      Resource: [...repositoryArns],
    },
  );
}

/**
 * Pull the EKS add-on images (VPC CNI, CoreDNS, kube-proxy, Pod Identity agent, EBS CSI) from the
 * registry account AWS publishes them in, in any region of the partition (ap-east-2's add-ons are
 * served from ap-east-1), and nothing else of that account's or anyone's. The kubelet's ECR
 * credential provider needs a login token before any pull, so the token is here too: the node group
 * waits for this policy, and a node must be able to start its add-ons with it alone.
 */
export function eksAddonImagePullPolicy(partition: string, registryAccountId: string): PolicyDocument {
  return policy(
    { Sid: "EcrLoginTokenHasNoResourceScope", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
    {
      Sid: "PullEksAddonImages",
      Effect: "Allow",
      Action: [...ecrPullActions],
      Resource: `arn:${partition}:ecr:*:${registryAccountId}:repository/*`,
    },
  );
}

/**
 * The KMS use the EBS CSI controller needs to create, attach and delete volumes encrypted with the
 * stack's key: data-key generation for new volumes, and grants that EC2 holds while a volume is
 * attached (only grants for AWS resources).
 */
export function ebsCsiKmsPolicy(keyArn: string): PolicyDocument {
  return policy(
    {
      Sid: "EncryptVolumesWithStackKey",
      Effect: "Allow",
      Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      Resource: keyArn,
    },
    {
      Sid: "GrantsForAttachedVolumesOnly",
      Effect: "Allow",
      Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
      Resource: keyArn,
      Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  );
}

/** `rds-db:connect` as one database user of one instance: the only grant coderd's role holds. */
export function rdsConnectPolicy(dbUserArn: string): PolicyDocument {
  return policy({ Sid: "ConnectAsCoderUserOnly", Effect: "Allow", Action: "rds-db:connect", Resource: dbUserArn });
}

/** Read one Secrets Manager secret (and nothing else). */
export function secretReadPolicy(secretArn: string, keyArn?: string): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: "ReadOneSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn },
  ];
  if (keyArn) {
    statements.push({ Sid: "DecryptThatSecret", Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn });
  }
  return policy(...statements);
}

/** Every action a policy document allows, flattened (tests and the policy pack read this). */
export function allowedActions(doc: PolicyDocument): string[] {
  return doc.Statement.filter((s) => s.Effect === "Allow").flatMap((s) =>
    typeof s.Action === "string" ? [s.Action] : [...s.Action],
  );
}

/** Actions that would let a principal read, copy or move EBS volumes it was not given. */
export const volumeAccessActions = [
  "ec2:CreateSnapshot",
  "ec2:CreateSnapshots",
  "ec2:CopySnapshot",
  "ec2:AttachVolume",
  "ec2:DetachVolume",
  "ec2:CreateVolume",
  "ec2:ModifySnapshotAttribute",
  "ebs:GetSnapshotBlock",
  "ebs:ListSnapshotBlocks",
  "ebs:ListChangedBlocks",
] as const;
