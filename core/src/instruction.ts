/**
 * Validation of the user's edit instruction, shared by the API and the CLI. The instruction goes
 * verbatim into the Qwen3-VL chat prompt (reference §2.3), so it must not be able to write control
 * characters or the tokenizer's added tokens (`<|im_start|>`, `<|image_pad|>`, ...), which the
 * tokenizer matches atomically and which would let a caller forge turns or image slots.
 */
import { describeValue, ValidationError } from './errors.ts';

/** Default limit on the trimmed instruction, in Unicode code points (Python `len`). */
export const DEFAULT_MAX_INSTRUCTION_CHARS = 2000;

/**
 * Every added token of the Qwen3 / Qwen3-VL tokenizer (ids 151643–151668). The tokenizer splits
 * these out of any text before BPE, so each would reach the model as a control id.
 */
export const QWEN_ADDED_TOKEN_STRINGS: readonly string[] = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|object_ref_start|>',
  '<|object_ref_end|>',
  '<|box_start|>',
  '<|box_end|>',
  '<|quad_start|>',
  '<|quad_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|vision_pad|>',
  '<|image_pad|>',
  '<|video_pad|>',
  '<tool_call>',
  '</tool_call>',
  '<|fim_prefix|>',
  '<|fim_middle|>',
  '<|fim_suffix|>',
  '<|fim_pad|>',
  '<|repo_name|>',
  '<|file_sep|>',
  '<tool_response>',
  '</tool_response>',
  '<think>',
  '</think>',
];

/** Options of {@link validateInstruction}. */
export interface InstructionLimits {
  /**
   * Most code points allowed after trimming.
   * @default 2000
   */
  readonly maxChars?: number;
}

// Python's str.isspace() set, which str.strip() removes. It differs from JS trim(): Python also
// strips U+001C–U+001F and U+0085 but keeps U+FEFF.
const PYTHON_WHITESPACE = new Set<number>([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

/**
 * Removes leading and trailing whitespace exactly as Python's `str.strip()` does; upstream VIBE
 * calls `instruction.strip()` before formatting the query.
 */
export function pythonStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PYTHON_WHITESPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PYTHON_WHITESPACE.has(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * Checks an instruction and returns it trimmed (Python `str.strip()` semantics).
 *
 * @example
 * validateInstruction('  Make the dog look like a painting\n'); // 'Make the dog look like a painting'
 * @throws ValidationError `INVALID_INSTRUCTION` when the value is not a string, is empty after
 *   trimming, is longer than `maxChars` code points, or contains a control character (C0, DEL or
 *   C1, except line feed and tab), a lone surrogate or a Qwen added-token string. Offsets in the
 *   message count code points from the start of the value as received.
 */
export function validateInstruction(raw: unknown, limits?: InstructionLimits): string {
  const maxChars = limits?.maxChars ?? DEFAULT_MAX_INSTRUCTION_CHARS;
  if (typeof raw !== 'string') {
    throw new ValidationError(
      'INVALID_INSTRUCTION',
      `Expected "instruction" to be a string but received ${describeValue(raw)}`,
      { details: { field: 'instruction', received: describeValue(raw) } },
    );
  }
  const lead = leadingWhitespace(raw);
  const text = pythonStrip(raw);
  if (text.length === 0) {
    throw new ValidationError(
      'INVALID_INSTRUCTION',
      `Expected "instruction" to contain text but received ${raw.length === 0 ? 'an empty string' : 'only whitespace'}; allowed: 1 to ${maxChars} characters`,
      { details: { field: 'instruction', maxChars } },
    );
  }
  // A UTF-16 length within the limit bounds the code-point count, so long inputs are counted only
  // when they might be over.
  if (text.length > maxChars) {
    const length = countCodePoints(text, text.length);
    if (length > maxChars) {
      throw new ValidationError(
        'INVALID_INSTRUCTION',
        `Expected "instruction" to have at most ${maxChars} characters after trimming but received ${length}; allowed: 1 to ${maxChars} characters`,
        { details: { field: 'instruction', maxChars, length } },
      );
    }
  }
  checkCharacters(text, lead);
  checkAddedTokens(text, lead);
  return text;
}

/** Python strips only BMP characters, so this UTF-16 count is also a code-point count. */
function leadingWhitespace(raw: string): number {
  let start = 0;
  while (start < raw.length && PYTHON_WHITESPACE.has(raw.charCodeAt(start))) start++;
  return start;
}

function countCodePoints(text: string, end: number): number {
  let count = 0;
  for (let i = 0; i < end; i++, count++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < end) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return count;
}

function isForbiddenControl(unit: number): boolean {
  if (unit === 0x09 || unit === 0x0a) return false;
  return unit <= 0x1f || (unit >= 0x7f && unit <= 0x9f);
}

function codePointLabel(unit: number): string {
  return `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`;
}

function checkCharacters(text: string, offsetBase: number): void {
  for (let i = 0, offset = offsetBase; i < text.length; i++, offset++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdfff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : -1;
      if (unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      throw new ValidationError(
        'INVALID_INSTRUCTION',
        `Expected "instruction" to be well-formed Unicode text but found a lone surrogate ${codePointLabel(unit)} at character ${offset}; allowed: any Unicode text without control characters`,
        { details: { field: 'instruction', offset, codePoint: codePointLabel(unit) } },
      );
    }
    if (isForbiddenControl(unit)) {
      throw new ValidationError(
        'INVALID_INSTRUCTION',
        `Expected "instruction" to contain no control characters but found ${codePointLabel(unit)} at character ${offset}; allowed: printable text, line feeds (\\n) and tabs (\\t)`,
        { details: { field: 'instruction', offset, codePoint: codePointLabel(unit) } },
      );
    }
  }
}

function checkAddedTokens(text: string, offsetBase: number): void {
  // Cheap pre-filter: every added token starts with '<'.
  if (!text.includes('<')) return;
  let first = -1;
  let token = '';
  for (const candidate of QWEN_ADDED_TOKEN_STRINGS) {
    const at = text.indexOf(candidate);
    if (at !== -1 && (first === -1 || at < first)) {
      first = at;
      token = candidate;
    }
  }
  if (first === -1) return;
  const offset = offsetBase + countCodePoints(text, first);
  throw new ValidationError(
    'INVALID_INSTRUCTION',
    `Expected "instruction" to contain no model control tokens but found "${token}" at character ${offset}; allowed: plain text (the strings ${QWEN_ADDED_TOKEN_STRINGS.slice(0, 3).join(', ')}, ... are reserved)`,
    { details: { field: 'instruction', offset, token } },
  );
}
