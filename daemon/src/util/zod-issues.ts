/** The one formatter of zod validation issues (config, manifests, state files). */
import type { z } from 'zod';

/** Pure: `path: message` strings from zod issues, one per issue. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String).join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${path === '(root)' ? key : `${path}.${key}`}: unknown key`);
    } else {
      out.push(`${path}: ${issue.message}`);
    }
  }
  return out;
}
