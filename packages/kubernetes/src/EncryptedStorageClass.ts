/**
 * A StorageClass that cannot be made unencrypted (storage-encryption).
 *
 * Every workspace's home directory lives on a PersistentVolume that this class provisions, so a
 * class that forgets `encrypted: "true"` leaves every workspace's source code and credentials on
 * plain disks. For the block-storage drivers we know, the parameters are checked the way the driver
 * reads them (keys case-insensitively, values exactly); for any other driver the caller names the
 * parameters that turn its encryption on, and those are checked instead.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { isDnsSubdomain, managedByLabels } from "./labels";

export const encryptedStorageClassToken = "hardened-coder:kubernetes:EncryptedStorageClass";

/** The annotation that makes a StorageClass the cluster's default. */
export const defaultStorageClassAnnotation = "storageclass.kubernetes.io/is-default-class";

export interface EncryptedStorageClassArgs {
  /**
   * The volume provisioner (CSI driver name). Known drivers are checked by their own rules:
   * `ebs.csi.aws.com` and `kubernetes.io/aws-ebs` need `encrypted: "true"`; `pd.csi.storage.gke.io`
   * and `disk.csi.azure.com` always encrypt and are checked for a well-formed customer-managed key
   * when one is named. Any other driver needs `encryptionParameters`. Serves storage-encryption.
   */
  readonly provisioner: pulumi.Input<string>;
  /**
   * The driver's parameters, passed through unchanged (e.g. `{ encrypted: "true", type: "gp3",
   * kmsKeyId }`). Values may be Outputs (a KMS key ARN); they are checked once known.
   * Serves storage-encryption.
   */
  readonly parameters: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * The StorageClass name.
   * @default the component's resource name
   */
  readonly name?: pulumi.Input<string>;
  /**
   * Mark this class as the cluster default (annotation `storageclass.kubernetes.io/is-default-class`),
   * so PVCs that name no class, such as a workspace template's, get encrypted volumes. Make sure no
   * other class is also marked default: Kubernetes then picks the newest one. Serves storage-encryption.
   * @default false
   */
  readonly isDefault?: pulumi.Input<boolean>;
  /**
   * For a provisioner this library does not know: the parameter keys that turn its encryption on.
   * Each must be present in `parameters` with a value that is not empty and does not say off
   * (`false`, `0`, `no`, `off`, `none`, `disabled`). Required for unknown provisioners; for known
   * ones it adds to the built-in rules. Serves storage-encryption.
   * @default none (required for unknown provisioners)
   */
  readonly encryptionParameters?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * What happens to a volume when its claim is deleted. `Retain` keeps the (encrypted) disk of a
   * deleted workspace until an admin removes it, which costs storage and leaves data behind.
   * @default "Delete"
   */
  readonly reclaimPolicy?: pulumi.Input<"Delete" | "Retain">;
}

/** Which keys encrypt the volumes a class provisions, as far as its parameters say. */
export type StorageKeyManagement =
  /** A key the customer manages (`kmsKeyId`, `disk-encryption-kms-key`, `diskEncryptionSetID`). */
  | "customer-managed"
  /** The cloud's own keys (EBS default key, Google- or platform-managed keys). */
  | "provider-managed"
  /** An unknown driver whose caller named the encryption parameters: trust, not verification. */
  | "caller-declared";

/** The verdict of {@link checkStorageClassEncryption}. */
export interface StorageClassEncryption {
  /**
   * Empty when the class encrypts. Otherwise one message per problem, each naming the parameter,
   * the bad value and the fix.
   */
  readonly problems: readonly string[];
  /** Whether the provisioner is one whose parameters this library knows. */
  readonly knownProvisioner: boolean;
  readonly keyManagement: StorageKeyManagement;
}

/** The fully-specified StorageClass that {@link resolveEncryptedStorageClassArgs} returns. */
export interface EncryptedStorageClassConfig {
  readonly name: string;
  readonly provisioner: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly isDefault: boolean;
  readonly reclaimPolicy: "Delete" | "Retain";
  /** Always true: a workspace whose disk fills up can grow it (within the namespace quota). */
  readonly allowVolumeExpansion: true;
  /** Always WaitForFirstConsumer: the volume is made in the zone where the workspace pod lands. */
  readonly volumeBindingMode: "WaitForFirstConsumer";
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly encryption: StorageClassEncryption;
}

const EBS_CSI = "ebs.csi.aws.com";
const EBS_IN_TREE = "kubernetes.io/aws-ebs";
const GCE_PD_CSI = "pd.csi.storage.gke.io";
const AZURE_DISK_CSI = "disk.csi.azure.com";

/** Provisioners whose encryption parameters this module checks by the driver's own rules. */
export const knownEncryptingProvisioners = [EBS_CSI, EBS_IN_TREE, GCE_PD_CSI, AZURE_DISK_CSI] as const;

/** Azure managed-disk encryption types; every one encrypts at rest. */
const azureEncryptionTypes = [
  "EncryptionAtRestWithPlatformKey",
  "EncryptionAtRestWithCustomerKey",
  "EncryptionAtRestWithPlatformAndCustomerKeys",
] as const;

const azureDiskEncryptionSetId =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/diskEncryptionSets\/[^/]+$/i;

/** Values that read as "off" in a declared encryption parameter. */
const offValues = new Set(["", "false", "f", "0", "no", "n", "off", "none", "disabled", "disable"]);

/** A parameter as a driver that ignores key case finds it. */
type Found = { readonly key: string; readonly value: string } | "absent" | "ambiguous";

/**
 * The known drivers read parameter keys case-insensitively (`Encrypted` is `encrypted`), so look
 * them up that way. Two spellings of one key would leave the winner to Go's random map order.
 */
function lookup(parameters: Readonly<Record<string, string>>, key: string, problems: string[]): Found {
  const hits = Object.keys(parameters).filter((k) => k.toLowerCase() === key.toLowerCase());
  if (hits.length > 1) {
    problems.push(
      `parameters: ${hits.map((h) => `"${h}"`).join(" and ")} are one key to the driver (it ignores case) and ` +
        `which one wins is random; keep only "${key}"`,
    );
    return "ambiguous";
  }
  const hit = hits[0];
  return hit === undefined ? "absent" : { key: hit, value: parameters[hit]! };
}

function checkEbs(
  provisioner: string,
  parameters: Readonly<Record<string, string>>,
  problems: string[],
): StorageKeyManagement {
  const encrypted = lookup(parameters, "encrypted", problems);
  if (encrypted === "absent") {
    problems.push(
      `parameters.encrypted: missing, so ${provisioner} would create unencrypted EBS volumes (unless the ` +
        `account happens to encrypt by default); set parameters.encrypted to "true"`,
    );
  } else if (encrypted !== "ambiguous" && encrypted.value !== "true") {
    problems.push(
      `parameters.${encrypted.key}: "${encrypted.value}" leaves EBS volumes unencrypted (the driver honours only ` +
        `the exact string "true"); set it to "true"`,
    );
  }
  const kms = lookup(parameters, "kmsKeyId", problems);
  if (typeof kms === "object" && kms.value.trim() === "") {
    problems.push(
      `parameters.${kms.key}: empty; set a KMS key ARN for a customer-managed key, or omit it to use the ` +
        `account's default aws/ebs key`,
    );
  }
  return kms === "absent" ? "provider-managed" : "customer-managed";
}

function checkGcePd(parameters: Readonly<Record<string, string>>, problems: string[]): StorageKeyManagement {
  const kms = lookup(parameters, "disk-encryption-kms-key", problems);
  if (kms === "absent") return "provider-managed";
  if (typeof kms === "object" && kms.value.trim() === "") {
    problems.push(
      `parameters.${kms.key}: empty; set a Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K) or omit ` +
        `it for Google-managed encryption`,
    );
  }
  return "customer-managed";
}

function checkAzureDisk(parameters: Readonly<Record<string, string>>, problems: string[]): StorageKeyManagement {
  const des = lookup(parameters, "diskEncryptionSetID", problems);
  const type = lookup(parameters, "diskEncryptionType", problems);
  if (typeof des === "object" && !azureDiskEncryptionSetId.test(des.value)) {
    problems.push(
      `parameters.${des.key}: "${des.value}" is not a disk encryption set id; use ` +
        `/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/diskEncryptionSets/<name>, or omit ` +
        `it for platform-managed keys`,
    );
  }
  if (typeof type === "object") {
    const known = azureEncryptionTypes.find((t) => t.toLowerCase() === type.value.toLowerCase());
    if (known === undefined) {
      problems.push(
        `parameters.${type.key}: "${type.value}" is not an Azure disk encryption type; use one of ` +
          `${azureEncryptionTypes.join(", ")}`,
      );
    } else if (known !== "EncryptionAtRestWithPlatformKey" && des === "absent") {
      problems.push(
        `parameters.${type.key}: "${type.value}" needs a customer key but parameters.diskEncryptionSetID is not set; ` +
          `add the disk encryption set id`,
      );
    }
  }
  return des === "absent" ? "provider-managed" : "customer-managed";
}

/**
 * Whether a StorageClass with these parameters encrypts its volumes. Pure, and never throws on a
 * weak class: it returns the problems, so the cloud packages and the policy pack can use it on
 * classes they did not build. `encryptionParameters` is required for provisioners outside
 * {@link knownEncryptingProvisioners} (a problem is returned when it is missing).
 */
export function checkStorageClassEncryption(
  provisioner: string,
  parameters: Readonly<Record<string, string>> | undefined,
  encryptionParameters?: readonly string[],
): StorageClassEncryption {
  const params = parameters ?? {};
  const problems: string[] = [];
  let keyManagement: StorageKeyManagement = "caller-declared";
  const known = (knownEncryptingProvisioners as readonly string[]).includes(provisioner);
  switch (provisioner) {
    case EBS_CSI:
    case EBS_IN_TREE:
      keyManagement = checkEbs(provisioner, params, problems);
      break;
    case GCE_PD_CSI:
      keyManagement = checkGcePd(params, problems);
      break;
    case AZURE_DISK_CSI:
      keyManagement = checkAzureDisk(params, problems);
      break;
    default:
      if (encryptionParameters === undefined || encryptionParameters.length === 0) {
        problems.push(
          `encryptionParameters: provisioner "${provisioner}" is not one whose encryption this library can ` +
            `check (${knownEncryptingProvisioners.join(", ")}); name the parameter keys that turn its ` +
            `encryption on, e.g. encryptionParameters: ["encrypted"], and set them in parameters`,
        );
      }
  }
  for (const [i, key] of (encryptionParameters ?? []).entries()) {
    if (typeof key !== "string" || key === "") {
      problems.push(`encryptionParameters[${i}]: ${JSON.stringify(key)} is not a parameter key; name a key`);
      continue;
    }
    const value = Object.hasOwn(params, key) ? params[key] : undefined;
    if (value === undefined) {
      problems.push(
        `parameters.${key}: missing, but encryptionParameters names it as what turns encryption on; set it`,
      );
    } else if (offValues.has(value.trim().toLowerCase())) {
      problems.push(`parameters.${key}: "${value}" turns encryption off; set it to the value that turns it on`);
    }
  }
  return { problems, knownProvisioner: known, keyManagement };
}

/** StorageClass.provisioner must be a qualified name: an optional DNS-subdomain prefix and a name. */
function isQualifiedName(value: string): boolean {
  const parts = value.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  const prefix = parts.length === 2 ? parts[0]! : undefined;
  return (
    name.length <= 63 &&
    /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name) &&
    (prefix === undefined || isDnsSubdomain(prefix))
  );
}

/**
 * Fills defaults and refuses a class that would not encrypt, with an Error naming the field, the
 * bad value and the fix. Pure: the component calls it eagerly on plain args and inside `apply` when
 * args arrive as Outputs. `resourceName` is the component's name (the default `name`).
 */
export function resolveEncryptedStorageClassArgs(
  args: pulumi.Unwrap<EncryptedStorageClassArgs>,
  resourceName: string,
): EncryptedStorageClassConfig {
  const { provisioner } = args;
  if (typeof provisioner !== "string" || !isQualifiedName(provisioner)) {
    throw new Error(
      `provisioner: ${JSON.stringify(provisioner)} is not a provisioner name; use the CSI driver's name, ` +
        `e.g. "ebs.csi.aws.com"`,
    );
  }
  const raw: unknown = args.parameters;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(
      `parameters: ${JSON.stringify(raw)} is not a map of strings; pass the driver's parameters, e.g. ` +
        `{ encrypted: "true" }`,
    );
  }
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== "string") {
      throw new Error(`parameters.${k}: ${JSON.stringify(v)} is not a string; StorageClass parameters are strings`);
    }
  }
  const parameters = Object.fromEntries(Object.entries(raw as Record<string, string>));
  const name = args.name ?? resourceName;
  if (typeof name !== "string" || !isDnsSubdomain(name)) {
    throw new Error(
      `name: ${JSON.stringify(name)} is not a valid StorageClass name; use lower-case letters, digits, '-' ` +
        `and '.', at most 253 characters${args.name === undefined ? " (it defaults to the resource name: pass name)" : ""}`,
    );
  }
  const isDefault = args.isDefault ?? false;
  if (typeof isDefault !== "boolean") {
    throw new Error(`isDefault: ${JSON.stringify(isDefault)} is not a boolean; use true or false`);
  }
  const reclaimPolicy = args.reclaimPolicy ?? "Delete";
  if (reclaimPolicy !== "Delete" && reclaimPolicy !== "Retain") {
    throw new Error(`reclaimPolicy: ${JSON.stringify(reclaimPolicy)} is not allowed; use "Delete" or "Retain"`);
  }
  const encryptionParameters = args.encryptionParameters;
  if (encryptionParameters !== undefined && !Array.isArray(encryptionParameters)) {
    throw new Error(
      `encryptionParameters: ${JSON.stringify(encryptionParameters)} is not a list; pass parameter keys, ` +
        `e.g. ["encrypted"]`,
    );
  }
  const encryption = checkStorageClassEncryption(provisioner, parameters, encryptionParameters);
  if (encryption.problems.length > 0) {
    throw new Error(`EncryptedStorageClass ${name}: ${encryption.problems.join("; ")}`);
  }
  return {
    name,
    provisioner,
    parameters,
    isDefault,
    reclaimPolicy,
    allowVolumeExpansion: true,
    volumeBindingMode: "WaitForFirstConsumer",
    labels: { ...managedByLabels },
    annotations: isDefault ? { [defaultStorageClassAnnotation]: "true" } : {},
    encryption,
  };
}

/** True when `value` holds no Output or Promise anywhere, so it can be checked before registering. */
function isKnownPlain(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
  if (Array.isArray(value)) return value.every(isKnownPlain);
  if (typeof value === "object" && value !== null) return Object.values(value).every(isKnownPlain);
  return true;
}

/**
 * A StorageClass that encrypts every volume it provisions (storage-encryption): parameters that
 * turn encryption off or leave it out are refused before anything is registered (or, for values
 * that arrive as Outputs, fail the deployment before the class is created).
 *
 * ```ts
 * new hc.EncryptedStorageClass("ws", { provisioner: "ebs.csi.aws.com", parameters: { encrypted: "true", type: "gp3" } });
 * ```
 */
export class EncryptedStorageClass extends pulumi.ComponentResource {
  /** The StorageClass's name, for PVCs and workspace templates. */
  public readonly storageClassName: pulumi.Output<string>;
  /** The StorageClass object. */
  public readonly storageClass: k8s.storage.v1.StorageClass;

  constructor(name: string, args: EncryptedStorageClassArgs, opts?: pulumi.ComponentResourceOptions) {
    const known = isKnownPlain(args)
      ? resolveEncryptedStorageClassArgs(args as pulumi.Unwrap<EncryptedStorageClassArgs>, name)
      : undefined;
    super(encryptedStorageClassToken, name, {}, opts);

    const config: pulumi.Output<EncryptedStorageClassConfig> = known
      ? pulumi.output(known)
      : pulumi.output(args).apply((a) => resolveEncryptedStorageClassArgs(a, name));

    this.storageClass = new k8s.storage.v1.StorageClass(
      name,
      {
        metadata: {
          name: config.name,
          labels: config.labels,
          annotations: config.annotations,
        },
        provisioner: config.provisioner,
        parameters: config.parameters,
        reclaimPolicy: config.reclaimPolicy,
        allowVolumeExpansion: config.allowVolumeExpansion,
        volumeBindingMode: config.volumeBindingMode,
      },
      // A StorageClass's parameters are immutable: a change replaces it under the same name, which
      // needs the old one gone first. Existing volumes are untouched by the class's deletion.
      { parent: this, deleteBeforeReplace: true },
    );
    this.storageClassName = this.storageClass.metadata.name;

    this.registerOutputs({ storageClassName: this.storageClassName, storageClass: this.storageClass });
  }
}
