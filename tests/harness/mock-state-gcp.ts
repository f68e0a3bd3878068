/** Computed outputs of Google Cloud resources, as the provider would return them (project example-project). */
const PROJECT = "example-project";

export function gcpState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const physical = (inputs.name as string | undefined) ?? `${name}-mock`;
  const base: Record<string, unknown> = {
    name: physical,
    selfLink: `https://mock.googleapis.com/${PROJECT}/${physical}`,
  };
  switch (type) {
    case "gcp:container/cluster:Cluster":
      return {
        ...base,
        endpoint: "10.0.0.2",
        masterAuth: { clusterCaCertificate: Buffer.from("mock-ca").toString("base64") },
        location: inputs.location ?? "europe-west1",
        project: PROJECT,
      };
    case "gcp:serviceaccount/account:Account":
      return {
        ...base,
        email: `${inputs.accountId as string}@${PROJECT}.iam.gserviceaccount.com`,
        member: `serviceAccount:${inputs.accountId as string}@${PROJECT}.iam.gserviceaccount.com`,
      };
    case "gcp:kms/cryptoKey:CryptoKey":
      return { ...base, id: `projects/${PROJECT}/locations/europe-west1/keyRings/mock/cryptoKeys/${physical}` };
    case "gcp:artifactregistry/repository:Repository":
      return { ...base, repositoryId: inputs.repositoryId ?? physical, project: PROJECT };
    case "gcp:sql/databaseInstance:DatabaseInstance":
      return { ...base, connectionName: `${PROJECT}:europe-west1:${physical}`, privateIpAddress: "10.10.0.3" };
    default:
      return base;
  }
}
