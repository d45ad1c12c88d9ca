/** One row of `gloves doctor`: the shape every check returns, and its constructor. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  hint?: string;
  /** The typed error code behind a failure, when there is one. */
  code?: string;
}

export function result(name: string, status: CheckStatus, detail: string, hint?: string, code?: string): CheckResult {
  const r: CheckResult = { name, status, detail };
  if (hint !== undefined) r.hint = hint;
  if (code !== undefined) r.code = code;
  return r;
}
