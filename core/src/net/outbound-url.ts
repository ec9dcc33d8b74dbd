import { ValidationError } from '../errors.ts';
import {
  type AddressClass,
  type ClassifiedAddress,
  classifyAddress,
  describeAddressClass,
  isBlockedClass,
} from './address-class.ts';

/**
 * The rules for URLs the service itself calls (image URLs, webhook URLs): the text-only checks a
 * submission can be refused with (4xx) before anything is fetched, and the address check that the
 * fetcher repeats after DNS resolution and after every redirect (functions/src/fetch/safe-fetch.ts).
 * docs/outbound-fetching.md lists the rules.
 */
export interface OutboundUrlPolicy {
  /**
   * Origins exempt from the https rule and the address rules, e.g. `http://127.0.0.1:40123`. For
   * tests only: production passes none, and nothing turns it on by default.
   */
  readonly allowOrigins?: readonly string[];
}

/** Why a URL or an address was refused; stable, shown in `details.reason`. */
export type OutboundRefusal =
  | 'invalid-url'
  | 'too-long'
  | 'scheme'
  | 'credentials'
  | 'port'
  | 'blocked-host'
  | 'blocked-address';

export type OutboundUrlCheck =
  | { readonly ok: true; readonly url: URL; readonly allowListed: boolean }
  | {
      readonly ok: false;
      readonly reason: OutboundRefusal;
      /** Ends the sentence "Expected <field> to be … but <problem>". */
      readonly problem: string;
      readonly addressClass?: AddressClass;
    };

export type AddressCheck =
  | { readonly ok: true; readonly address: ClassifiedAddress }
  | {
      readonly ok: false;
      readonly reason: 'blocked-address';
      readonly problem: string;
      readonly addressClass: AddressClass;
    };

/** The longest URL the service calls. */
export const MAX_OUTBOUND_URL_LENGTH = 2048;

/** The lowest explicit port allowed; below it only the scheme's default port (443) is. */
export const MIN_EXPLICIT_PORT = 1024;

/** What a caller can do about a refusal, for messages. */
export const OUTBOUND_RULES =
  'an https URL without user name or password, on the default port or a port from 1024, whose host is a public DNS name or a public IP address';

/**
 * The text-only checks: a URL (WHATWG-parsed, which rewrites odd IPv4 spellings such as
 * `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` to `127.0.0.1`) must be https, carry no
 * credentials, use the default port or one from 1024, and name neither a blocked IP address nor a
 * local-only name (`localhost`, `*.localhost`, `*.local`, `*.internal`, `*.home.arpa`, or a name
 * without a dot). Allow-listed origins skip the scheme and address rules.
 */
export function checkOutboundUrl(
  input: string | URL,
  policy: OutboundUrlPolicy = {},
): OutboundUrlCheck {
  const text = typeof input === 'string' ? input : input.href;
  if (text.length > MAX_OUTBOUND_URL_LENGTH) {
    return refuse(
      'too-long',
      `it has ${text.length} characters (at most ${MAX_OUTBOUND_URL_LENGTH})`,
    );
  }
  if (!URL.canParse(text)) return refuse('invalid-url', 'it is not an absolute URL');
  const url = new URL(text);
  if (url.username !== '' || url.password !== '') {
    return refuse('credentials', 'it carries a user name or password');
  }
  if (isAllowListed(url, policy)) return { ok: true, url, allowListed: true };
  if (url.protocol !== 'https:') {
    return refuse('scheme', `it uses ${url.protocol.replace(/:$/, '')} (only https is allowed)`);
  }
  if (url.port !== '' && Number(url.port) < MIN_EXPLICIT_PORT) {
    return refuse(
      'port',
      `it names port ${url.port} (allowed: the default port 443, or ${MIN_EXPLICIT_PORT} to 65535)`,
    );
  }
  const host = hostOf(url);
  const classified = classifyAddress(host);
  if (classified !== undefined) {
    const verdict = checkAddress(classified);
    return verdict.ok ? { ok: true, url, allowListed: false } : verdict;
  }
  const name = host.toLowerCase().replace(/\.$/, '');
  if (isLocalOnlyName(name)) {
    return refuse('blocked-host', `its host ${JSON.stringify(name)} is a local-only name`);
  }
  return { ok: true, url, allowListed: false };
}

/** The address check alone, for resolved addresses (after DNS) and IP-literal hosts. */
export function checkResolvedAddress(address: string): AddressCheck {
  const classified = classifyAddress(address);
  if (classified === undefined) {
    return {
      ok: false,
      reason: 'blocked-address',
      problem: `${JSON.stringify(address.slice(0, 60))} is not an IP address`,
      addressClass: 'reserved',
    };
  }
  return checkAddress(classified);
}

function checkAddress(classified: ClassifiedAddress): AddressCheck {
  if (!isBlockedClass(classified.class)) return { ok: true, address: classified };
  const via =
    classified.embeddedIPv4 === undefined
      ? ''
      : ` (it carries the IPv4 address ${classified.embeddedIPv4})`;
  return {
    ok: false,
    reason: 'blocked-address',
    problem: `${classified.address} is ${describeAddressClass(classified.class)}${via}`,
    addressClass: classified.class,
  };
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** True when the URL's origin is on the policy's allow-list. */
export function isAllowListed(url: URL, policy: OutboundUrlPolicy): boolean {
  const origins = policy.allowOrigins ?? [];
  return origins.length > 0 && origins.some((origin) => normaliseOrigin(origin) === url.origin);
}

function normaliseOrigin(origin: string): string {
  if (!URL.canParse(origin)) {
    throw new ValidationError(
      'INVALID_ARGUMENT',
      `Expected each allow-listed origin to be a URL such as "http://127.0.0.1:40123" but received ${JSON.stringify(origin.slice(0, 100))}`,
      { details: { field: 'allowOrigins' } },
    );
  }
  return new URL(origin).origin;
}

const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.localdomain'];

function isLocalOnlyName(name: string): boolean {
  if (name === 'localhost' || !name.includes('.')) return true;
  return LOCAL_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** Origin and path only, at most 120 characters: a query string may carry a caller's token. */
export function describeUrl(url: URL): string {
  const text = `${url.origin}${url.pathname}`;
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function refuse(reason: OutboundRefusal, problem: string): OutboundUrlCheck {
  return { ok: false, reason, problem };
}

/**
 * `checkOutboundUrl` for a request field: the URL, or a ValidationError `INVALID_ARGUMENT` (HTTP
 * 400) whose message names the field, the problem and the rules, with `details.reason` (and
 * `details.addressClass` for a blocked address).
 */
export function requireOutboundUrl(
  input: string,
  field: string,
  policy: OutboundUrlPolicy = {},
): URL {
  const check = checkOutboundUrl(input, policy);
  if (check.ok) return check.url;
  throw new ValidationError(
    'INVALID_ARGUMENT',
    `Expected "${field}" to be ${OUTBOUND_RULES} but ${check.problem}`,
    {
      details: {
        field,
        reason: check.reason,
        ...(check.addressClass === undefined ? {} : { addressClass: check.addressClass }),
      },
    },
  );
}
