/** Computed outputs of AWS resources, as the provider would return them (account 123456789012, us-west-2). */
const ACCOUNT = "123456789012";
const REGION = "us-west-2";

export function awsState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const physical = (inputs.name as string | undefined) ?? `${name}-mock`;
  const service = type.split(":")[1]?.split("/")[0] ?? "unknown";
  const base: Record<string, unknown> = { arn: `arn:aws:${service}:${REGION}:${ACCOUNT}:${service}/${physical}` };
  switch (type) {
    case "aws:eks/cluster:Cluster":
      return {
        ...base,
        arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${physical}`,
        name: physical,
        endpoint: `https://${physical}.gr7.${REGION}.eks.amazonaws.com`,
        certificateAuthority: { data: Buffer.from("mock-ca").toString("base64") },
        version: inputs.version ?? "1.34",
        identities: [{ oidcs: [{ issuer: `https://oidc.eks.${REGION}.amazonaws.com/id/MOCK` }] }],
        vpcConfig: { ...(inputs.vpcConfig as object), clusterSecurityGroupId: "sg-cluster-mock" },
      };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${physical}`, name: physical };
    case "aws:eks/podIdentityAssociation:PodIdentityAssociation":
      return {
        associationArn: `arn:aws:eks:${REGION}:${ACCOUNT}:podidentityassociation/${String(inputs.clusterName)}/a-${name}`,
        associationId: `a-${name}`,
      };
    case "aws:rds/subnetGroup:SubnetGroup":
    case "aws:rds/parameterGroup:ParameterGroup":
      return { ...base, name: physical };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${ACCOUNT}:role/${physical}`, name: physical };
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}-mock`, keyId: `${name}-mock` };
    case "aws:ecr/repository:Repository":
      return {
        ...base,
        name: physical,
        repositoryUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${physical}`,
        registryId: ACCOUNT,
      };
    case "aws:ec2/vpc:Vpc":
      return { ...base, defaultSecurityGroupId: "sg-default-mock", mainRouteTableId: "rtb-main-mock" };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { ...base, latestVersion: 1 };
    case "aws:rds/instance:Instance":
      return {
        ...base,
        address: `${physical}.abc.${REGION}.rds.amazonaws.com`,
        endpoint: `${physical}.abc.${REGION}.rds.amazonaws.com:5432`,
        port: 5432,
        resourceId: "db-MOCKRESOURCEID",
        masterUserSecrets: [
          { secretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds-mock`, kmsKeyId: "k" },
        ],
      };
    default:
      return base;
  }
}
