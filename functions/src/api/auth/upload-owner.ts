import { createHash } from 'node:crypto';

/**
 * Upload ids belong to the key that asked for them, without storing anything: the id's 32 hex
 * digits are 24 random ones and 8 of SHA-256(owner, random). Another key presenting the id computes
 * another tag, and gets the same 404 as for an id that never existed; the tag cannot be moved to
 * another random part because the id names the blob key the image was uploaded to.
 */
const RANDOM_DIGITS = 24;

function tag(owner: string, random: string): string {
  return createHash('sha256').update(`${owner}\n${random}`, 'utf8').digest('hex').slice(0, 8);
}

/** Binds a fresh upload token (24 to 32 hex digits; its first 24 are used) to `owner`. */
export function ownedUploadToken(randomToken: string, owner: string): string {
  const random = randomToken.slice(0, RANDOM_DIGITS);
  return `${random}${tag(owner, random)}`;
}

/** True when the token part of `uploadId` (`upl_<expiry>_<token>`) was bound to `owner`. */
export function uploadOwnedBy(uploadId: string, owner: string): boolean {
  const token = uploadId.split('_')[2] ?? '';
  if (!/^[0-9a-f]{32}$/.test(token)) return false;
  const random = token.slice(0, RANDOM_DIGITS);
  return token.slice(RANDOM_DIGITS) === tag(owner, random);
}
