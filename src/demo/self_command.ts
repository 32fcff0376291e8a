/**
 * How to start this same program again: the compiled binary alone, or, from source, the
 * running `deno` with `run -A` and the absolute path of src/main.ts (`deno.json`, which holds
 * every other setting, is found from there).
 */

export interface SelfCommandEnv {
  execPath: string;
  /** True in a `deno compile`d binary. */
  standalone: boolean;
  /** The URL of src/main.ts. */
  mainUrl: URL;
}

const realEnv = (): SelfCommandEnv => ({
  execPath: Deno.execPath(),
  standalone: Deno.build.standalone,
  mainUrl: new URL("../main.ts", import.meta.url),
});

/** `[command, ...prefixArgs]`: append intercept's own arguments to run it. */
export function selfCommand(env: SelfCommandEnv = realEnv()): [string, ...string[]] {
  if (env.standalone) return [env.execPath];
  const main = env.mainUrl.protocol === "file:"
    ? decodeURIComponent(env.mainUrl.pathname)
    : env.mainUrl.href;
  return [env.execPath, "run", "-A", main];
}
