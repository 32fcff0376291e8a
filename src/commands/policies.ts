export function runPolicies(_argv: readonly string[]): number {
  return 0;
}
