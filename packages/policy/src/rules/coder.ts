/** coderd's own settings: the authentication provider, impersonation, Git OAuth linkage and providers. */
import { isTrue, violation } from "../model";
import { coderdConfigOf, envSetting, envValue, externalAuthProviders, plainSecret } from "../coderd";
import type { ResourceRule } from "../rule";

const coderdTypes = ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release", "kubernetes:apps/v1:Deployment"];

export const authProviderSettings: ResourceRule = {
  id: "auth-provider-settings",
  kind: "resource",
  settings: [],
  guards: coderdTypes,
  remediation:
    "Log in through OIDC only: an https issuer, the client secret by secretKeyRef, password login off, sign-ups limited " +
    "to your email domains, Coder's default GitHub login off, no CODER_DANGEROUS_* settings.",
  check: (r) => {
    const cfg = coderdConfigOf(r);
    if (!cfg) return [];
    const out: string[] = [];
    const issuer = envValue(cfg, "CODER_OIDC_ISSUER_URL");
    if (!issuer) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_OIDC_ISSUER_URL"),
          "is unset, so coderd is not bound to your identity provider",
          "configure OIDC (CoderControlPlane's oidc input)",
        ),
      );
    }
    if (plainSecret(cfg, "CODER_OIDC_CLIENT_SECRET")) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_OIDC_CLIENT_SECRET"),
          "is a plain value, readable in state and in the pod spec",
          "pass it by valueFrom.secretKeyRef to a Secret built from a Pulumi secret",
        ),
      );
    }
    if (!isTrue(envValue(cfg, "CODER_DISABLE_PASSWORD_AUTH"))) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_DISABLE_PASSWORD_AUTH"),
          "is not true, so password logins bypass the identity provider",
          "set CODER_DISABLE_PASSWORD_AUTH=true",
        ),
      );
    }
    const signups = envValue(cfg, "CODER_OIDC_ALLOW_SIGNUPS");
    const domains = envValue(cfg, "CODER_OIDC_EMAIL_DOMAIN");
    if (issuer && signups !== "false" && !domains) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_OIDC_EMAIL_DOMAIN"),
          "is unset while OIDC sign-ups are allowed, so anyone the IdP knows gets an account",
          "set CODER_OIDC_EMAIL_DOMAIN to your domains, or CODER_OIDC_ALLOW_SIGNUPS=false",
        ),
      );
    }
    if (envValue(cfg, "CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE") !== "false") {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE"),
          "is not false, so Coder's own GitHub login app stays on beside OIDC",
          "set CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE=false",
        ),
      );
    }
    for (const name of ["CODER_OAUTH2_GITHUB_ALLOW_EVERYONE", "CODER_OAUTH2_GITHUB_ALLOW_SIGNUPS"]) {
      if (isTrue(envValue(cfg, name))) {
        out.push(violation(r, envSetting(cfg, name), "is true", `remove ${name}`));
      }
    }
    for (const [name, v] of cfg.env) {
      if (name.startsWith("CODER_DANGEROUS_") && v.value !== undefined && v.value !== "false" && v.value !== "") {
        out.push(violation(r, envSetting(cfg, name), `is "${v.value}"`, `remove ${name}`));
      }
    }
    return out;
  },
};

export const authImpersonation: ResourceRule = {
  id: "auth-impersonation",
  kind: "resource",
  settings: [],
  guards: coderdTypes,
  remediation:
    "Keep a converted account from logging in with a password and owners out of users' workspaces: " +
    "CODER_DISABLE_PASSWORD_AUTH=true and CODER_DISABLE_OWNER_WORKSPACE_ACCESS=true.",
  check: (r) => {
    const cfg = coderdConfigOf(r);
    if (!cfg) return [];
    const out: string[] = [];
    if (!isTrue(envValue(cfg, "CODER_DISABLE_PASSWORD_AUTH"))) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_DISABLE_PASSWORD_AUTH"),
          "is not true, so an admin can convert an OIDC user to a password login and sign in as them",
          "set CODER_DISABLE_PASSWORD_AUTH=true",
        ),
      );
    }
    if (!isTrue(envValue(cfg, "CODER_DISABLE_OWNER_WORKSPACE_ACCESS"))) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_DISABLE_OWNER_WORKSPACE_ACCESS"),
          "is not true, so owners can open any user's workspace and act as them",
          "set CODER_DISABLE_OWNER_WORKSPACE_ACCESS=true",
        ),
      );
    }
    return out;
  },
};

/** OAuth scopes that reach beyond a user's repositories (GitHub, GitLab, Bitbucket, Azure DevOps). */
const broadScopes = [
  /^admin(:|$)/,
  /^delete_repo$/,
  /^write:org$/,
  /^sudo$/,
  /^api$/,
  /^write_api$/,
  /^admin_mode$/,
  /^account:write$/,
  /^vso\.project_manage$/,
];

export const gitOauthLinkage: ResourceRule = {
  id: "git-oauth-linkage",
  kind: "resource",
  settings: [],
  guards: coderdTypes,
  remediation:
    "Link Git accounts through your own OAuth apps with repository-only scopes and secrets by secretKeyRef; turn off " +
    "Coder's default GitHub external-auth app.",
  check: (r) => {
    const cfg = coderdConfigOf(r);
    if (!cfg) return [];
    const out: string[] = [];
    const defaultApp = envValue(cfg, "CODER_EXTERNAL_AUTH_GITHUB_DEFAULT_PROVIDER_ENABLE");
    if (defaultApp !== "false") {
      out.push(
        violation(
          r,
          cfg.source === "chart"
            ? "values.coder.commandArgs --external-auth-github-default-provider-enable"
            : "container args --external-auth-github-default-provider-enable",
          "is not false, so users link GitHub through an app Coder controls",
          // coderd reads every CODER_EXTERNAL_AUTH_* variable as a numbered provider, so the flag it is.
          "pass `--external-auth-github-default-provider-enable=false` to `coder server` and configure your own app",
        ),
      );
    }
    for (const p of externalAuthProviders(cfg)) {
      const secret = `CODER_EXTERNAL_AUTH_${p.index}_CLIENT_SECRET`;
      if (plainSecret(cfg, secret)) {
        out.push(
          violation(
            r,
            envSetting(cfg, secret),
            "is a plain value, readable in state and in the pod spec",
            "pass it by valueFrom.secretKeyRef to a Secret built from a Pulumi secret",
          ),
        );
      }
      const broad = (p.scopes ?? "").split(/[\s,]+/).filter((s) => broadScopes.some((re) => re.test(s)));
      if (broad.length > 0) {
        out.push(
          violation(
            r,
            envSetting(cfg, `CODER_EXTERNAL_AUTH_${p.index}_SCOPES`),
            `asks for ${broad.join(", ")}, which lets Coder admins act far beyond the user's repositories`,
            "request repository scopes only (GitHub: repo; GitLab: read_repository write_repository)",
          ),
        );
      }
    }
    return out;
  },
};

export const gitSingleProviderPerType: ResourceRule = {
  id: "git-single-provider-per-type",
  kind: "resource",
  settings: [],
  guards: coderdTypes,
  remediation:
    "Number external-auth providers from 0 without gaps, give each a distinct ID, and give every provider of a type " +
    "that appears twice its own REGEX, so Coder can tell which one a repository belongs to.",
  check: (r) => {
    const cfg = coderdConfigOf(r);
    if (!cfg) return [];
    const out: string[] = [];
    const providers = externalAuthProviders(cfg);
    providers.forEach((p, i) => {
      if (p.index !== i) {
        out.push(
          violation(
            r,
            envSetting(cfg, `CODER_EXTERNAL_AUTH_${p.index}_*`),
            `skips index ${i}, and coderd stops reading providers at the first gap`,
            "number providers 0, 1, 2 ... without gaps",
          ),
        );
      }
    });
    const seen = new Map<string, number>();
    for (const p of providers) {
      if (p.id === undefined) continue;
      if (seen.has(p.id)) {
        out.push(
          violation(
            r,
            envSetting(cfg, `CODER_EXTERNAL_AUTH_${p.index}_ID`),
            `repeats ID "${p.id}"`,
            "give each provider its own ID",
          ),
        );
      }
      seen.set(p.id, p.index);
    }
    const byType = new Map<string, typeof providers>();
    for (const p of providers) {
      const t = p.type ?? p.id ?? "";
      byType.set(t, [...(byType.get(t) ?? []), p]);
    }
    for (const [type, group] of byType) {
      if (group.length < 2) continue;
      const regexes = group.map((p) => p.regex);
      if (regexes.some((x) => !x) || new Set(regexes).size < regexes.length) {
        out.push(
          violation(
            r,
            group.map((p) => envSetting(cfg, `CODER_EXTERNAL_AUTH_${p.index}_REGEX`)).join(", "),
            `are not distinct for the ${group.length} "${type}" providers (${group.map((p) => p.id ?? p.index).join(", ")})`,
            "give each provider of that type its own REGEX matching its repository URLs",
          ),
        );
      }
    }
    return out;
  },
};

export const coderRules = [authProviderSettings, authImpersonation, gitOauthLinkage, gitSingleProviderPerType] as const;
