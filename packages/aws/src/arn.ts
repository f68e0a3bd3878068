/**
 * ARN helpers: parse and build the ARNs the EKS flavour needs. Pure; no Pulumi.
 */

export interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the fifth colon, e.g. `role/path/Name` or `assumed-role/Name/session`. */
  readonly resource: string;
}

/** Parses `arn:partition:service:region:account:resource`; throws naming `field` when it is not one. */
export function parseArn(value: string, field = "arn"): Arn {
  const m =
    /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|aws-iso-e|aws-iso-f|aws-eusc):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/.exec(
      value,
    );
  if (!m) {
    throw new Error(
      `${field}: "${value}" is not an AWS ARN; expected arn:<partition>:<service>:<region>:<account>:<resource>`,
    );
  }
  const [, partition, service, region, account, resource] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { partition, service, region, account, resource };
}

/**
 * The IAM role ARN behind a caller identity ARN. `aws sts get-caller-identity` (and the
 * getCallerIdentity invoke) return a session ARN for a role, `arn:aws:sts::ACCT:assumed-role/NAME/SESSION`;
 * EKS access entries need the role itself, `arn:aws:iam::ACCT:role/NAME`. IAM user ARNs pass through.
 *
 * A role's path is not part of its session ARN, so a role with a path (IAM Identity Center's
 * `aws-reserved/sso.amazonaws.com/...` roles among them) cannot be recovered from it: those are
 * refused with the fix (pass the full role ARN explicitly) rather than guessed.
 */
export function principalArnFromCallerArn(callerArn: string, field = "admins"): string {
  const arn = parseArn(callerArn, field);
  if (arn.service === "iam" && /^(role|user)\/.+/.test(arn.resource)) return callerArn;
  if (arn.service === "iam" && arn.resource === "root") {
    throw new Error(
      `${field}: the deploying identity is the account root user (${callerArn}); EKS access entries cannot name it. ` +
        `Deploy as an IAM role or user, or list admins explicitly`,
    );
  }
  if (arn.service === "sts") {
    const m = /^assumed-role\/([^/]+)\/[^/]+$/.exec(arn.resource);
    if (m) {
      const roleName = m[1]!;
      if (roleName.startsWith("AWSReservedSSO_")) {
        throw new Error(
          `${field}: the deploying identity is the IAM Identity Center role ${roleName}, whose path ` +
            `(aws-reserved/sso.amazonaws.com/...) its session ARN does not carry; pass the role's full ARN ` +
            `(aws iam get-role --role-name ${roleName} --query Role.Arn) in admins`,
        );
      }
      return `arn:${arn.partition}:iam::${arn.account}:role/${roleName}`;
    }
    throw new Error(
      `${field}: ${callerArn} is a ${arn.resource.split("/")[0]} session, which EKS access entries cannot name; ` +
        `list IAM role or user ARNs in admins`,
    );
  }
  throw new Error(`${field}: ${callerArn} is not an IAM role or user ARN; list IAM role or user ARNs in admins`);
}

/** True for `arn:<partition>:iam::<account>:role/...` or `.../user/...`. */
export function isIamPrincipalArn(value: string): boolean {
  return /^arn:[a-z-]+:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/.test(value);
}

/** The service-linked role EC2 Auto Scaling uses to launch managed node group instances. */
export function autoscalingServiceLinkedRoleArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
}

/** An AWS managed policy ARN, e.g. `AmazonEKSClusterPolicy` or `service-role/AmazonEBSCSIDriverPolicy`. */
export function managedPolicyArn(partition: string, name: string): string {
  return `arn:${partition}:iam::aws:policy/${name}`;
}

/** The ARN of an EKS access policy, e.g. `AmazonEKSClusterAdminPolicy`. */
export function eksAccessPolicyArn(partition: string, name: string): string {
  return `arn:${partition}:eks::aws:cluster-access-policy/${name}`;
}

/** A CloudWatch Logs log group's ARN (without the trailing `:*` of its streams). */
export function logGroupArn(partition: string, region: string, accountId: string, name: string): string {
  return `arn:${partition}:logs:${region}:${accountId}:log-group:${name}`;
}

/** An ECR repository's ARN. */
export function ecrRepositoryArn(partition: string, region: string, accountId: string, name: string): string {
  return `arn:${partition}:ecr:${region}:${accountId}:repository/${name}`;
}

/** The `rds-db:connect` resource of one database user on one RDS instance (by its resource id). */
export function rdsDbUserArn(
  partition: string,
  region: string,
  accountId: string,
  dbiResourceId: string,
  user: string,
): string {
  return `arn:${partition}:rds-db:${region}:${accountId}:dbuser:${dbiResourceId}/${user}`;
}
