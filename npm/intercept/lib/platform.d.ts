/** Types of platform.mjs, for Deno's type checker. */
export declare const PACKAGE_SCOPE: string;

export interface Target {
  readonly os: string;
  readonly cpu: string;
  readonly binary: string;
}

export declare const TARGETS: Readonly<Record<string, Target>>;

export declare function platformPackageName(os: string, cpu: string): string;

export interface Host {
  platform: string;
  arch: string;
  musl?: boolean;
}

export declare function resolveBinary(
  host: Host,
  resolve: (specifier: string) => string,
): { path: string; error?: undefined } | { error: string; path?: undefined };

export declare function signalExitCode(
  signal: string,
  signalNumbers: Readonly<Record<string, number>>,
): number;
