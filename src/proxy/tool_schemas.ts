/**
 * The upstream's tool `inputSchema`s, for `validate.required_args`. Learnt from every
 * `tools/list` result that passes by; when a tool is not known yet, the whole list is fetched
 * from the upstream once (every page, within a page count and a time budget), in the era of
 * the call that needs it. Only calls that need a schema wait for the fetch.
 */
import { isObject, type JsonObject } from "./jsonrpc.ts";

/** Asks the upstream for one page: `params` holds the cursor and, for a modern call, `_meta`. */
export type ListPage = (params: JsonObject) => Promise<JsonObject>;

/** Pages of one fetch, at most. */
export const MAX_PAGES = 100;

/**
 * Tools whose schemas are kept, at most: a server that lists new names every time cannot grow
 * the proxy's memory. Past it the oldest are forgotten (and fetched again when a call needs one).
 */
export const MAX_KNOWN_TOOLS = 10_000;

/**
 * How long a list fetched for a modern call counts as complete, at least: the server's
 * `ttlMs` when longer. Legacy servers announce changes (list_changed), so theirs does not age.
 */
export const MIN_MODERN_FRESHNESS_MS = 30_000;

export interface ToolSchemasOptions {
  /** Time for one whole fetch, every page (default 10 s). */
  budgetMs?: number;
  now?: () => number;
}

export class ToolSchemas {
  #schemas = new Map<string, unknown>();
  /** Until when the known list is the whole list (a tool missing from it is not listed). */
  #completeUntil = 0;
  /** Bumped when the upstream's tools change: a fetch begun before is then not complete. */
  #generation = 0;
  #fetching: Promise<void> | null = null;
  readonly #budgetMs: number;
  readonly #now: () => number;

  constructor(readonly listPage: ListPage, options: ToolSchemasOptions = {}) {
    this.#budgetMs = options.budgetMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  remember(tools: readonly unknown[]): void {
    for (const tool of tools) {
      if (isObject(tool) && typeof tool.name === "string") {
        // null: listed without a schema, so there is nothing to check against.
        this.#schemas.delete(tool.name);
        this.#schemas.set(tool.name, tool.inputSchema ?? null);
      }
    }
    if (this.#schemas.size <= MAX_KNOWN_TOOLS) return;
    for (const name of this.#schemas.keys()) {
      if (this.#schemas.size <= MAX_KNOWN_TOOLS) break;
      this.#schemas.delete(name);
    }
    // Not the whole list any more: a tool missing from it is asked for again.
    this.#completeUntil = 0;
  }

  /** The names of the tools the upstream listed (as far as the proxy has seen). */
  names(): string[] {
    return [...this.#schemas.keys()];
  }

  /** The upstream said its tools changed. */
  invalidate(): void {
    this.#schemas.clear();
    this.#completeUntil = 0;
    this.#generation++;
  }

  /**
   * The tool's inputSchema, or undefined when the upstream does not list the tool. `meta` is
   * the modern `_meta` envelope to send the list under (null for a legacy call).
   */
  async get(tool: string, meta: JsonObject | null): Promise<unknown> {
    if (!this.#schemas.has(tool) && this.#now() >= this.#completeUntil) {
      await (this.#fetching ??= this.#fetchAll(meta).finally(() => this.#fetching = null));
    }
    return this.#schemas.get(tool);
  }

  async #fetchAll(meta: JsonObject | null): Promise<void> {
    const generation = this.#generation;
    const deadline = this.#now() + this.#budgetMs;
    let cursor: string | undefined;
    let ttlMs = 0;
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: JsonObject = {};
      if (meta) params._meta = meta;
      if (cursor !== undefined) params.cursor = cursor;
      const left = deadline - this.#now();
      if (left <= 0) {
        throw new Error(`the tools/list fetch took over its budget of ${this.#budgetMs} ms`);
      }
      const result = await withDeadline(this.listPage(params), left);
      if (Array.isArray(result.tools)) this.remember(result.tools);
      if (typeof result.ttlMs === "number") ttlMs = Math.max(ttlMs, result.ttlMs);
      if (typeof result.nextCursor !== "string" || result.nextCursor === "") {
        if (generation !== this.#generation) return;
        this.#completeUntil = meta
          ? this.#now() + Math.max(ttlMs, MIN_MODERN_FRESHNESS_MS)
          : Number.POSITIVE_INFINITY;
        return;
      }
      cursor = result.nextCursor;
    }
    throw new Error(`the upstream's tools/list did not end after ${MAX_PAGES} pages`);
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) {
    work.catch(() => {}); // its own failure comes later, with nobody left to hear it
    return Promise.reject(new Error("the tools/list fetch ran out of time"));
  }
  let timer: ReturnType<typeof setTimeout>;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the tools/list fetch took over its budget`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
