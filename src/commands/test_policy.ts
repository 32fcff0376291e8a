export function runTestPolicy(_argv: readonly string[]): number {
  return 0;
}
