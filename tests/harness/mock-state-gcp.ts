/** Computed outputs of Google Cloud resources, as the provider would return them (project example-project). */
const PROJECT = "example-project";
const PROJECT_NUMBER = "123456789012";
const REGION = "europe-west1";

/** Service agent domains by API, as `gcp.projects.ServiceIdentity` returns them. */
const serviceAgentDomains: Record<string, string> = {
  "artifactregistry.googleapis.com": "gcp-sa-artifactregistry",
  "sqladmin.googleapis.com": "gcp-sa-cloud-sql",
  "servicenetworking.googleapis.com": "service-networking",
  "container.googleapis.com": "container-engine-robot",
};

export function gcpState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const physical = (inputs.name as string | undefined) ?? `${name}-mock`;
  const project = (inputs.project as string | undefined) ?? PROJECT;
  const base: Record<string, unknown> = {
    name: physical,
    project,
    selfLink: `https://mock.googleapis.com/${project}/${physical}`,
  };
  switch (type) {
    case "gcp:container/cluster:Cluster": {
      const endpoints = (inputs.controlPlaneEndpointsConfig as Record<string, unknown> | undefined) ?? {};
      const dns = (endpoints.dnsEndpointConfig as Record<string, unknown> | undefined) ?? {};
      const privateEndpoint =
        (inputs.privateClusterConfig as { enablePrivateEndpoint?: boolean } | undefined)?.enablePrivateEndpoint ??
        false;
      return {
        ...base,
        endpoint: privateEndpoint ? "172.16.0.2" : "203.0.113.10",
        masterAuth: {
          ...(inputs.masterAuth ?? {}),
          clusterCaCertificate: Buffer.from("mock-ca").toString("base64"),
        },
        controlPlaneEndpointsConfig: {
          ...endpoints,
          dnsEndpointConfig: { ...dns, endpoint: `gke-mock0123456789-${project}.${REGION}.gke.goog` },
        },
        location: inputs.location ?? REGION,
      };
    }
    case "gcp:serviceaccount/account:Account":
      return {
        ...base,
        name: `projects/${project}/serviceAccounts/${inputs.accountId as string}@${project}.iam.gserviceaccount.com`,
        email: `${inputs.accountId as string}@${project}.iam.gserviceaccount.com`,
        member: `serviceAccount:${inputs.accountId as string}@${project}.iam.gserviceaccount.com`,
      };
    case "gcp:projects/serviceIdentity:ServiceIdentity": {
      const service = inputs.service as string;
      const email = `service-${PROJECT_NUMBER}@${serviceAgentDomains[service] ?? service.split(".")[0]}.iam.gserviceaccount.com`;
      return { ...base, email, member: `serviceAccount:${email}` };
    }
    case "gcp:kms/keyRing:KeyRing":
      return { ...base, location: inputs.location ?? REGION };
    case "gcp:kms/cryptoKey:CryptoKey":
      return { ...base, id: `projects/${PROJECT}/locations/${REGION}/keyRings/mock/cryptoKeys/${physical}` };
    case "gcp:artifactregistry/repository:Repository":
      return {
        ...base,
        name: inputs.repositoryId ?? physical,
        repositoryId: inputs.repositoryId ?? physical,
        location: inputs.location ?? REGION,
        registryUri: `${(inputs.location as string | undefined) ?? REGION}-docker.pkg.dev/${project}/${(inputs.repositoryId as string | undefined) ?? physical}`,
      };
    case "gcp:sql/databaseInstance:DatabaseInstance":
      return {
        ...base,
        connectionName: `${project}:${(inputs.region as string | undefined) ?? REGION}:${physical}`,
        privateIpAddress: "10.240.0.3",
        firstIpAddress: "10.240.0.3",
        serviceAccountEmailAddress: `p${PROJECT_NUMBER}-abcdef@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
      };
    case "gcp:compute/globalAddress:GlobalAddress":
      return { ...base, address: inputs.address ?? "10.240.0.0" };
    default:
      return base;
  }
}
