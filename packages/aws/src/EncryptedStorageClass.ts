/**
 * An EBS CSI StorageClass whose volumes are encrypted with a customer-managed KMS key: the cloud
 * half of storage-encryption on EKS. It composes the cloud-agnostic `EncryptedStorageClass`, whose
 * check refuses any parameters that would leave a volume unencrypted.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  EncryptedStorageClass as K8sEncryptedStorageClass,
  checkStorageClassEncryption,
} from "@hardened-coder/kubernetes";
import { parseArn } from "./arn";

export const awsEncryptedStorageClassToken = "hardened-coder:aws:EncryptedStorageClass";

/** The EBS CSI driver's provisioner name. */
export const ebsCsiProvisioner = "ebs.csi.aws.com";

export type EbsVolumeType = "gp3" | "gp2" | "io1" | "io2" | "st1" | "sc1";
const volumeTypes: readonly EbsVolumeType[] = ["gp3", "gp2", "io1", "io2", "st1", "sc1"];

export interface EncryptedStorageClassArgs {
  /**
   * ARN of the customer-managed KMS key that encrypts every volume (`kmsKeyId`). Its key policy must
   * let the EBS CSI controller's role use it (HardenedCluster's key does). Serves storage-encryption
   * and storage-cloud-access (who may use the key decides who may read the volumes).
   */
  readonly kmsKeyArn: pulumi.Input<string>;
  /**
   * The StorageClass name.
   * @default the component's resource name
   */
  readonly name?: pulumi.Input<string>;
  /**
   * Make this class the cluster default, so PVCs that name no class (a workspace template's) are
   * encrypted with the key. Serves storage-encryption.
   * @default true
   */
  readonly isDefault?: pulumi.Input<boolean>;
  /**
   * EBS volume type.
   * @default "gp3"
   */
  readonly volumeType?: EbsVolumeType;
  /** gp3/io1/io2 provisioned IOPS. @default the volume type's baseline */
  readonly iops?: number;
  /** gp3 throughput in MiB/s. @default the volume type's baseline (125) */
  readonly throughputMiBps?: number;
  /**
   * What happens to a volume when its claim is deleted; `Retain` keeps deleted workspaces' disks
   * (encrypted) until an admin removes them.
   * @default "Delete"
   */
  readonly reclaimPolicy?: "Delete" | "Retain";
}

export interface EncryptedStorageClassConfig {
  readonly kmsKeyArn: string;
  readonly volumeType: EbsVolumeType;
  readonly reclaimPolicy: "Delete" | "Retain";
  /** The EBS CSI parameters, `encrypted: "true"` and `kmsKeyId` always among them. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** Checks a KMS key ARN: a key, not an alias (an alias can be re-pointed at another key). */
export function requireKmsKeyArn(field: string, value: string): string {
  const arn = parseArn(value, field);
  if (arn.service !== "kms" || !/^key\/[0-9a-zA-Z-]+$/.test(arn.resource)) {
    throw new Error(
      `${field}: "${value}" is not a KMS key ARN; pass the key's ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias`,
    );
  }
  return value;
}

type VolumeArgs = Pick<EncryptedStorageClassArgs, "volumeType" | "iops" | "throughputMiBps" | "reclaimPolicy">;

/** The volume settings without the key: checked eagerly even when the key ARN is an Output. */
export function resolveVolumeSettings(args: VolumeArgs): Omit<EncryptedStorageClassConfig, "kmsKeyArn"> {
  const volumeType = args.volumeType ?? "gp3";
  if (!volumeTypes.includes(volumeType)) {
    throw new Error(
      `volumeType: "${String(volumeType)}" is not an EBS volume type; use one of ${volumeTypes.join(", ")}`,
    );
  }
  const parameters: Record<string, string> = { type: volumeType, encrypted: "true" };
  if (args.iops !== undefined) {
    if (!["gp3", "io1", "io2"].includes(volumeType) || !Number.isInteger(args.iops) || args.iops < 3000) {
      throw new Error(
        `iops: ${args.iops} is not valid for ${volumeType}; use a whole number >= 3000 on gp3, io1 or io2`,
      );
    }
    parameters.iops = String(args.iops);
  }
  if (args.throughputMiBps !== undefined) {
    if (volumeType !== "gp3" || !Number.isInteger(args.throughputMiBps) || args.throughputMiBps < 125) {
      throw new Error(`throughputMiBps: ${args.throughputMiBps} is not valid; use a whole number >= 125 on gp3`);
    }
    parameters.throughput = String(args.throughputMiBps);
  }
  const reclaimPolicy = args.reclaimPolicy ?? "Delete";
  if (reclaimPolicy !== "Delete" && reclaimPolicy !== "Retain") {
    throw new Error(`reclaimPolicy: "${String(reclaimPolicy)}" is not allowed; use "Delete" or "Retain"`);
  }
  return { volumeType, reclaimPolicy, parameters };
}

/**
 * Fills defaults and refuses bad values, naming the field; the result's parameters pass the
 * cloud-agnostic encryption check with a customer-managed key. Pure.
 */
export function resolveEncryptedStorageClassArgs(
  args: VolumeArgs & { readonly kmsKeyArn: string },
): EncryptedStorageClassConfig {
  const settings = resolveVolumeSettings(args);
  const kmsKeyArn = requireKmsKeyArn("kmsKeyArn", args.kmsKeyArn);
  const parameters = { ...settings.parameters, kmsKeyId: kmsKeyArn };
  const verdict = checkStorageClassEncryption(ebsCsiProvisioner, parameters);
  if (verdict.problems.length > 0 || verdict.keyManagement !== "customer-managed") {
    throw new Error(
      `kmsKeyArn: the class would not encrypt with a customer-managed key: ${verdict.problems.join("; ")}`,
    );
  }
  return { ...settings, kmsKeyArn, parameters };
}

/**
 * EBS CSI gp3, `encrypted: "true"`, `kmsKeyId` = the customer-managed key, the cluster's default
 * class (storage-encryption).
 *
 * ```ts
 * new aws.EncryptedStorageClass("encrypted-gp3", { kmsKeyArn: key.arn }, { provider });
 * ```
 */
export class EncryptedStorageClass extends pulumi.ComponentResource {
  public readonly storageClassName: pulumi.Output<string>;
  /** The cloud-agnostic component it composes (and its StorageClass). */
  public readonly encryptedStorageClass: K8sEncryptedStorageClass;
  public readonly kmsKeyArn: pulumi.Output<string>;

  constructor(name: string, args: EncryptedStorageClassArgs, opts?: pulumi.ComponentResourceOptions) {
    const rest: VolumeArgs = {
      volumeType: args.volumeType,
      iops: args.iops,
      throughputMiBps: args.throughputMiBps,
      reclaimPolicy: args.reclaimPolicy,
    };
    // Plain args are refused before anything registers; a key ARN that is an Output is checked once known.
    if (typeof args.kmsKeyArn === "string") resolveEncryptedStorageClassArgs({ ...rest, kmsKeyArn: args.kmsKeyArn });
    else resolveVolumeSettings(rest);
    super(awsEncryptedStorageClassToken, name, {}, opts);

    const config = pulumi
      .output(args.kmsKeyArn)
      .apply((kmsKeyArn) => resolveEncryptedStorageClassArgs({ ...rest, kmsKeyArn }));
    this.kmsKeyArn = config.kmsKeyArn;
    this.encryptedStorageClass = new K8sEncryptedStorageClass(
      name,
      {
        provisioner: ebsCsiProvisioner,
        parameters: config.parameters,
        name: args.name ?? name,
        isDefault: args.isDefault ?? true,
        reclaimPolicy: config.reclaimPolicy,
      },
      { parent: this },
    );
    this.storageClassName = this.encryptedStorageClass.storageClassName;
    this.registerOutputs({ storageClassName: this.storageClassName, kmsKeyArn: this.kmsKeyArn });
  }
}
