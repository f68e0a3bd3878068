/**
 * The database bootstrap Job's shell scripts, run for real: with a PATH holding only the tools its
 * images carry (sh, sed, rm, cat; the AWS CLI image has no jq) and stand-ins for `aws`, `curl` and
 * `psql`, the fetch script must recover the master credentials from the Secrets Manager JSON (JSON
 * escapes undone) and the run script must hand them to psql and wipe them.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrapFetchScript, bootstrapRunScript } from "@hardened-coder/aws";

/** Absolute path of a tool on this machine, to link into the restricted PATH. */
function which(tool: string): string {
  return execFileSync("/bin/sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
}

describe("aws: the database bootstrap scripts, run with only the images' tools", () => {
  let dir: string;
  let bin: string;
  let work: string;

  /** The script with its /work volume moved to this test's directory. */
  const local = (script: string) => script.replaceAll("/work/", `${work}/`);
  const run = (script: string) =>
    execFileSync("/bin/sh", ["-c", local(script)], {
      env: {
        PATH: bin,
        MASTER_SECRET_ARN: "arn:aws:secretsmanager:us-west-2:123456789012:secret:rds-mock",
        CA_BUNDLE_URL: "https://truststore.pki.rds.amazonaws.com/us-west-2/us-west-2-bundle.pem",
        IAM_USER: "coder",
        PGDATABASE: "coder",
        OUT: join(dir, "psql.out"),
      },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  const secretString = (json: string) => writeFileSync(join(dir, "secret.json"), json);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "hc-bootstrap-"));
    bin = join(dir, "bin");
    work = join(dir, "work");
    execFileSync("/bin/mkdir", ["-p", bin, work]);
    for (const tool of ["sh", "sed", "rm", "cat"]) symlinkSync(which(tool), join(bin, tool));
    // `aws ... --query SecretString --output text` prints the secret's JSON on one line.
    stub("aws", `cat "${join(dir, "secret.json")}"`);
    stub("curl", 'while [ $# -gt 0 ]; do if [ "$1" = -o ]; then echo PEM > "$2"; fi; shift; done');
    stub("psql", 'cat > /dev/null; echo "$PGUSER|$PGPASSWORD" > "$OUT"');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("recovers the username and a password with JSON escapes, and psql gets them", () => {
    // The password p"a\ss/w0rd!#$%&*, as Secrets Manager stores it in JSON.
    secretString(String.raw`{"username":"coder_admin","password":"p\"a\\ss\/w0rd!#$%&*"}`);
    run(bootstrapFetchScript);
    assert.equal(readFileSync(join(work, "username"), "utf8").trim(), "coder_admin");
    assert.equal(readFileSync(join(work, "password"), "utf8").replace(/\n$/, ""), 'p"a\\ss/w0rd!#$%&*');
    assert.equal(readFileSync(join(work, "rds-ca.pem"), "utf8").trim(), "PEM");
    assert.ok(!existsSync(join(work, "master.json")), "the secret's JSON is removed");

    run(bootstrapRunScript);
    assert.equal(readFileSync(join(dir, "psql.out"), "utf8").trim(), 'coder_admin|p"a\\ss/w0rd!#$%&*');
    assert.ok(!existsSync(join(work, "username")) && !existsSync(join(work, "password")), "credentials wiped");
  });

  it("reads the fields whatever their order and spacing", () => {
    secretString('{ "password" : "s3cr3t-Value", "engine": "postgres", "username" : "admin_x" }');
    run(bootstrapFetchScript);
    assert.equal(readFileSync(join(work, "username"), "utf8").trim(), "admin_x");
    assert.equal(readFileSync(join(work, "password"), "utf8").trim(), "s3cr3t-Value");
  });

  it("fails, without fetching anything further, when the secret has no password", () => {
    secretString('{"username":"coder_admin"}');
    rmSync(join(work, "rds-ca.pem"), { force: true });
    assert.throws(() => run(bootstrapFetchScript), /no username or password field/);
    assert.ok(!existsSync(join(work, "rds-ca.pem")));
  });
});
