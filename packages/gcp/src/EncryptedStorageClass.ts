import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import { EncryptedStorageClass as K8sEncryptedStorageClass } from "@hardened-coder/kubernetes";
import { computeServiceAgent, kmsEncrypterDecrypterRole, serviceAccountMember } from "./iam";

/** GKE's Persistent Disk CSI driver. */
export const gcePdCsiProvisioner = "pd.csi.storage.gke.io";

/** The StorageClasses GKE creates itself; `standard-rwo` is the default one on current versions. */
export const gkeBuiltInStorageClasses = ["standard-rwo", "standard"] as const;

export type PdDiskType = "pd-balanced" | "pd-ssd" | "pd-standard" | "pd-extreme" | "hyperdisk-balanced";

/**
 * A GKE StorageClass whose Persistent Disks are encrypted with a Cloud KMS key (CMEK), the default
 * class of the cluster so a workspace's PVC that names no class lands on it (storage-encryption).
 */
export interface EncryptedStorageClassArgs {
  /**
   * The Cloud KMS key (`projects/P/locations/L/keyRings/R/cryptoKeys/K`) that encrypts every disk
   * this class provisions (`disk-encryption-kms-key`). Use a key in the cluster's region.
   * Serves storage-encryption.
   */
  readonly kmsKeyId: pulumi.Input<string>;
  /**
   * The StorageClass name.
   * @default the component's resource name
   */
  readonly name?: string;
  /**
   * Persistent Disk type.
   * @default "pd-balanced"
   */
  readonly diskType?: PdDiskType;
  /**
   * Replicate each disk across two zones (`replication-type: regional-pd`). Costs twice the storage;
   * keeps a workspace's disk through a zone outage.
   * @default false
   */
  readonly regional?: boolean;
  /**
   * Make this class the cluster default. Turning it off lets PVCs that name no class fall back to
   * GKE's own default (Google-managed keys, not the CMEK). Serves storage-encryption.
   * @default true
   */
  readonly isDefault?: boolean;
  /**
   * Mark GKE's built-in classes (`standard-rwo`, `standard`) as not default, so this class is the only
   * default (Kubernetes picks the newest default when there are several). GKE's addon manager creates
   * them with mode EnsureExists, so it does not revert the change. Only applies with `isDefault`.
   * @default true
   */
  readonly unsetGkeDefaultClasses?: boolean;
  /**
   * Grant the project's Compute Engine service agent encrypt/decrypt on `kmsKeyId` (it creates the
   * disks). Turn off when another component already grants it on this key (HardenedCluster does, for
   * boot disks), so the one grant is not managed twice.
   * @default true
   */
  readonly grantComputeServiceAgent?: boolean;
  /**
   * Project whose Compute Engine service agent is granted the key.
   * @default the Google provider's project
   */
  readonly project?: pulumi.Input<string>;
  /**
   * `Retain` keeps the encrypted disk of a deleted workspace until an admin removes it (costs storage,
   * leaves data behind).
   * @default "Delete"
   */
  readonly reclaimPolicy?: "Delete" | "Retain";
}

export interface EncryptedStorageClassConfig {
  readonly name: string;
  readonly kmsKeyId: pulumi.Input<string>;
  readonly diskType: PdDiskType;
  readonly replicationType: "none" | "regional-pd";
  readonly isDefault: boolean;
  /** Built-in classes to mark not default: empty when `isDefault` or `unsetGkeDefaultClasses` is off. */
  readonly unsetDefaultOn: readonly string[];
  readonly grantComputeServiceAgent: boolean;
  readonly project?: pulumi.Input<string>;
  readonly reclaimPolicy: "Delete" | "Retain";
}

const diskTypes: readonly PdDiskType[] = ["pd-balanced", "pd-ssd", "pd-standard", "pd-extreme", "hyperdisk-balanced"];
const cloudKmsKeyPattern = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

/** Checks a Cloud KMS key id, as plain value or inside an `apply`. */
export function checkKmsKeyId(field: string, value: string): string {
  if (!cloudKmsKeyPattern.test(value)) {
    throw new Error(
      `${field}: "${value}" is not a Cloud KMS key id; use projects/P/locations/L/keyRings/R/cryptoKeys/K ` +
        `(the CryptoKey's id)`,
    );
  }
  return value;
}

/**
 * Refuses a key outside `location`: Cloud SQL, Artifact Registry and GKE accept a CMEK only from their
 * own location, and otherwise fail the create call after everything before it was built.
 */
export function checkKmsKeyLocation(field: string, keyId: string, locationField: string, location: string): string {
  const keyLocation = checkKmsKeyId(field, keyId).split("/")[3];
  if (keyLocation !== location) {
    throw new Error(
      `${field}: "${keyId}" is in ${keyLocation}, but ${locationField} is ${location}; the key must be in the same ` +
        `location: use a key ring in ${location}`,
    );
  }
  return keyId;
}

/** Fills defaults and refuses bad values, naming the field. Pure. */
export function resolveEncryptedStorageClassArgs(
  args: EncryptedStorageClassArgs,
  resourceName: string,
): EncryptedStorageClassConfig {
  if (args.kmsKeyId === undefined || args.kmsKeyId === "") {
    throw new Error("kmsKeyId: required; pass the Cloud KMS key that encrypts the disks (CMEK)");
  }
  if (typeof args.kmsKeyId === "string") checkKmsKeyId("kmsKeyId", args.kmsKeyId);
  const diskType = args.diskType ?? "pd-balanced";
  if (!diskTypes.includes(diskType)) {
    throw new Error(`diskType: "${diskType}" is not a Persistent Disk type; use one of ${diskTypes.join(", ")}`);
  }
  const reclaimPolicy = args.reclaimPolicy ?? "Delete";
  if (reclaimPolicy !== "Delete" && reclaimPolicy !== "Retain") {
    throw new Error(`reclaimPolicy: "${String(reclaimPolicy)}" is not allowed; use "Delete" or "Retain"`);
  }
  const isDefault = args.isDefault ?? true;
  const name = args.name ?? resourceName;
  if ((gkeBuiltInStorageClasses as readonly string[]).includes(name)) {
    throw new Error(
      `name: "${name}" is one of GKE's built-in classes, which GKE owns; choose another name, e.g. "encrypted-pd"`,
    );
  }
  return {
    name,
    kmsKeyId: args.kmsKeyId,
    diskType,
    replicationType: args.regional ? "regional-pd" : "none",
    isDefault,
    unsetDefaultOn: isDefault && (args.unsetGkeDefaultClasses ?? true) ? [...gkeBuiltInStorageClasses] : [],
    grantComputeServiceAgent: args.grantComputeServiceAgent ?? true,
    ...(args.project !== undefined ? { project: args.project } : {}),
    reclaimPolicy,
  };
}

export class EncryptedStorageClass extends pulumi.ComponentResource {
  /** The StorageClass's name, for PVCs and workspace templates. */
  public readonly storageClassName: pulumi.Output<string>;
  /** The StorageClass object. */
  public readonly storageClass: k8s.storage.v1.StorageClass;
  /** The cloud-agnostic component that checks and declares the class. */
  public readonly encryptedStorageClass: K8sEncryptedStorageClass;
  /** The Compute Engine service agent's grant on the key, when this component made it. */
  public readonly keyGrant?: gcp.kms.CryptoKeyIAMMember;
  /** The patches that mark GKE's built-in classes as not default. */
  public readonly builtInDefaultPatches: readonly k8s.storage.v1.StorageClassPatch[];

  constructor(name: string, args: EncryptedStorageClassArgs, opts?: pulumi.ComponentResourceOptions) {
    const config = resolveEncryptedStorageClassArgs(args, name);
    super("hardened-coder:gcp:EncryptedStorageClass", name, {}, opts);

    // A key that arrives as an Output is a CryptoKey's id; only its presence is checked then.
    const kmsKeyId = pulumi.output(config.kmsKeyId).apply((k) => {
      if (!k) throw new Error("kmsKeyId: empty; pass the Cloud KMS key that encrypts the disks (CMEK)");
      return k;
    });
    if (config.grantComputeServiceAgent) {
      const project = gcp.organizations.getProjectOutput(
        config.project !== undefined ? { projectId: config.project } : {},
        { parent: this },
      );
      this.keyGrant = new gcp.kms.CryptoKeyIAMMember(
        `${name}-compute-agent-key`,
        {
          cryptoKeyId: kmsKeyId,
          role: kmsEncrypterDecrypterRole,
          member: project.number.apply((n) => serviceAccountMember(computeServiceAgent(n))),
        },
        { parent: this },
      );
    }

    this.encryptedStorageClass = new K8sEncryptedStorageClass(
      name,
      {
        provisioner: gcePdCsiProvisioner,
        name: config.name,
        isDefault: config.isDefault,
        reclaimPolicy: config.reclaimPolicy,
        parameters: {
          type: config.diskType,
          "replication-type": config.replicationType,
          "disk-encryption-kms-key": kmsKeyId,
          "csi.storage.k8s.io/fstype": "ext4",
        },
      },
      // The driver cannot create a disk before the service agent may use the key.
      { parent: this, ...(this.keyGrant ? { dependsOn: [this.keyGrant] } : {}) },
    );
    this.storageClass = this.encryptedStorageClass.storageClass;
    this.storageClassName = this.encryptedStorageClass.storageClassName;

    this.builtInDefaultPatches = config.unsetDefaultOn.map(
      (builtIn) =>
        new k8s.storage.v1.StorageClassPatch(
          `${name}-${builtIn}-not-default`,
          {
            metadata: {
              name: builtIn,
              annotations: {
                "storageclass.kubernetes.io/is-default-class": "false",
                // GKE's addon manager applied the annotation first; take the field over.
                "pulumi.com/patchForce": "true",
              },
            },
          },
          // Unset the old default only once the encrypted one is in place, so PVCs always find one.
          { parent: this, dependsOn: [this.encryptedStorageClass] },
        ),
    );

    this.registerOutputs({ storageClassName: this.storageClassName });
  }
}
