import { errorMessage, fail, pass, skip, warn, type CheckResult } from "./types";

// The sending domain's mail authentication: SPF, DKIM (at the configured selector) and DMARC,
// all published on the From domain itself, so a receiver can align them with the From address.

/** What the checks ask of DNS (node:dns/promises' Resolver has it; tests pass a fake). */
export interface TxtResolver {
  resolveTxt(name: string): Promise<string[][]>;
}

const NO_RECORD_CODES = new Set(["ENODATA", "ENOTFOUND", "NOTFOUND", "ENONAME"]);

/** The TXT records at `name`, each one string; none when the name or its TXT records do not exist. */
async function txt(resolver: TxtResolver, name: string): Promise<string[]> {
  try {
    return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(""));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && NO_RECORD_CODES.has(code)) return [];
    throw error;
  }
}

const startsWith = (prefix: string) => (record: string) => record.trim().toLowerCase().startsWith(prefix);

/** `key=value` tags of a DKIM or DMARC record, keys lower-cased. */
export function recordTags(record: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of record.split(";")) {
    const at = part.indexOf("=");
    if (at > 0) tags.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  return tags;
}

function lookupFailed(id: string, title: string, name: string, error: unknown): CheckResult {
  return fail(id, title, `the DNS lookup of ${name} failed: ${errorMessage(error)}`, "check the domain's DNS servers answer, then run the doctor again");
}

export async function checkSpf(resolver: TxtResolver, domain: string): Promise<CheckResult> {
  const id = "email.spf";
  const title = `SPF record on ${domain}`;
  let records: string[];
  try {
    records = (await txt(resolver, domain)).filter(startsWith("v=spf1"));
  } catch (error) {
    return lookupFailed(id, title, domain, error);
  }
  const add = `add one TXT record at ${domain}: \`v=spf1 include:<your email sender's SPF domain> ~all\` (your sender, e.g. Kit, names the include in its domain authentication settings)`;
  if (records.length === 0) return fail(id, title, `no v=spf1 TXT record at ${domain}`, add);
  if (records.length > 1) {
    return fail(id, title, `${records.length} v=spf1 records at ${domain}: receivers treat that as an error`, `merge them into one TXT record at ${domain} (one v=spf1, every include in it, one ~all or -all at the end)`);
  }
  const [record = ""] = records;
  if (/\s\+?all\s*$/i.test(record) && !/[-~?]all\s*$/i.test(record)) {
    return fail(id, title, `${domain}'s SPF ends in +all: anyone may send as the domain`, `end the record with ~all or -all instead: ${record.replace(/\+?all\s*$/i, "~all")}`);
  }
  return pass(id, title, record);
}

export async function checkDkim(resolver: TxtResolver, domain: string, selector: string): Promise<CheckResult> {
  const id = "email.dkim";
  const name = `${selector}._domainkey.${domain}`;
  const title = `DKIM key at ${name}`;
  let records: string[];
  try {
    records = (await txt(resolver, name)).filter((record) => /(^|;)\s*(v=DKIM1|p=)/i.test(record));
  } catch (error) {
    return lookupFailed(id, title, name, error);
  }
  const publish = `publish the DKIM record your email sender gives you at ${name} (a TXT record with v=DKIM1; p=…, or the CNAME it asks for); if the sender uses another selector, set DKIM_SELECTOR to it`;
  const [record] = records;
  if (!record) return fail(id, title, `no DKIM record at ${name}`, publish);
  const key = recordTags(record).get("p");
  if (!key) return fail(id, title, `the DKIM record at ${name} has an empty key (p=): the key is revoked`, publish);
  // The key sits under the From domain, so the signature's d= is the From domain: aligned.
  return pass(id, title, `a DKIM key is published for selector ${selector} (aligned with ${domain})`);
}

/** The organisational domain, naively (the last two labels): DMARC falls back to it for a subdomain. */
const parentDomain = (domain: string) => domain.split(".").slice(-2).join(".");

export async function checkDmarc(resolver: TxtResolver, domain: string): Promise<CheckResult> {
  const id = "email.dmarc";
  const title = `DMARC policy for ${domain}`;
  let record: string | undefined;
  let at = `_dmarc.${domain}`;
  try {
    record = (await txt(resolver, at)).find(startsWith("v=dmarc1"));
    if (!record && parentDomain(domain) !== domain) {
      at = `_dmarc.${parentDomain(domain)}`;
      record = (await txt(resolver, at)).find(startsWith("v=dmarc1"));
    }
  } catch (error) {
    return lookupFailed(id, title, at, error);
  }
  if (!record) {
    return fail(
      id,
      title,
      `no v=DMARC1 TXT record at _dmarc.${domain}`,
      `add a TXT record at _dmarc.${domain}: \`v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@${domain}\` (start with p=none for a week if you want to watch the reports first); Gmail and Yahoo refuse bulk mail from domains without DMARC`,
    );
  }
  const tags = recordTags(record);
  const policy = (tags.get("p") ?? "").toLowerCase();
  if (!["none", "quarantine", "reject"].includes(policy)) {
    return fail(id, title, `the DMARC record at ${at} has no valid policy (p=${policy || "missing"})`, `set p=quarantine (or p=reject) in the record at ${at}`);
  }
  if (policy === "none") {
    return warn(id, title, `DMARC at ${at} only monitors (p=none): mail that fails SPF and DKIM alignment is still delivered`, `once the reports show your mail passing, change the record at ${at} to p=quarantine, later p=reject`);
  }
  return pass(id, title, `${at}: p=${policy}`);
}

export async function checkEmailDomain(resolver: TxtResolver, domain: string | undefined, selector: string | undefined): Promise<CheckResult[]> {
  if (!domain) {
    return [
      skip("email.spf", "SPF record", "EMAIL_DOMAIN is not set (see the environment)"),
      skip("email.dkim", "DKIM key", "EMAIL_DOMAIN is not set (see the environment)"),
      skip("email.dmarc", "DMARC policy", "EMAIL_DOMAIN is not set (see the environment)"),
    ];
  }
  const name = domain.toLowerCase().replace(/\.$/, "");
  return Promise.all([
    checkSpf(resolver, name),
    selector ? checkDkim(resolver, name, selector) : Promise.resolve(skip("email.dkim", "DKIM key", "DKIM_SELECTOR is not set (see the environment)")),
    checkDmarc(resolver, name),
  ]);
}
