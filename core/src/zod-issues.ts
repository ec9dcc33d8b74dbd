import type { z } from 'zod';

export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** Flattens a ZodError into `path: message` pairs for error messages and `details.issues`. */
export function listZodIssues(error: z.ZodError): Issue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
}
