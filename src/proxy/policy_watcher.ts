/**
 * Watches the policy file and calls `onChange` once the writes settle. Editors that save by
 * rename replace the file, so the folder is watched and events are matched by name.
 */

export interface PolicyWatcher {
  close(): void;
}

export function watchPolicyFile(
  path: string,
  onChange: () => void,
  options: { debounceMs?: number; onError?: (error: Error) => void } = {},
): PolicyWatcher {
  const debounceMs = options.debounceMs ?? 200;
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const name = path.slice(slash + 1);
  let watcher: Deno.FsWatcher;
  try {
    watcher = Deno.watchFs(dir, { recursive: false });
  } catch (error) {
    options.onError?.(error as Error);
    return { close() {} };
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  (async () => {
    try {
      for await (const event of watcher) {
        if (event.kind === "access" || !event.paths.some((p) => p.endsWith(`/${name}`))) continue;
        clearTimeout(timer);
        timer = setTimeout(() => {
          if (!closed) onChange();
        }, debounceMs);
      }
    } catch {
      // The watcher was closed, or the folder went away: reloads still work on demand.
    }
  })();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      try {
        watcher.close();
      } catch {
        // Already closed.
      }
    },
  };
}
