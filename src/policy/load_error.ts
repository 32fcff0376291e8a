/** The error of a policy that cannot load: light, so that catching it loads no parser. */

export interface LocatedError {
  file: string;
  line: number;
  col: number;
  message: string;
}

/** Every problem of a policy file, each as `file:line:col: message`. */
export class PolicyLoadError extends Error {
  constructor(readonly errors: LocatedError[]) {
    super(errors.map(formatLocatedError).join("\n"));
    this.name = "PolicyLoadError";
  }
}

export function formatLocatedError(error: LocatedError): string {
  return `${error.file}:${error.line}:${error.col}: ${error.message}`;
}
