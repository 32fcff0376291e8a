/**
 * The upstream's tool `inputSchema`s, for `validate.required_args`. Learnt from every
 * `tools/list` result that passes by; when a tool is not known yet, the whole list is fetched
 * from the upstream once (every page).
 */
import { isObject, type JsonObject } from "./jsonrpc.ts";

export type ListPage = (cursor: string | undefined) => Promise<JsonObject>;

const MAX_PAGES = 1_000;

export class ToolSchemas {
  #schemas = new Map<string, unknown>();
  #complete = false;
  /** Bumped when the upstream's tools change: a fetch begun before is then not complete. */
  #generation = 0;
  #fetching: Promise<void> | null = null;

  constructor(readonly listPage: ListPage) {}

  remember(tools: readonly unknown[]): void {
    for (const tool of tools) {
      if (isObject(tool) && typeof tool.name === "string") {
        // null: listed without a schema, so there is nothing to check against.
        this.#schemas.set(tool.name, tool.inputSchema ?? null);
      }
    }
  }

  /** The names of the tools the upstream listed (as far as the proxy has seen). */
  names(): string[] {
    return [...this.#schemas.keys()];
  }

  /** The upstream said its tools changed. */
  invalidate(): void {
    this.#schemas.clear();
    this.#complete = false;
    this.#generation++;
  }

  /** The tool's inputSchema, or undefined when the upstream does not list the tool. */
  async get(tool: string): Promise<unknown> {
    if (!this.#schemas.has(tool) && !this.#complete) {
      await (this.#fetching ??= this.#fetchAll().finally(() => this.#fetching = null));
    }
    return this.#schemas.get(tool);
  }

  async #fetchAll(): Promise<void> {
    const generation = this.#generation;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.listPage(cursor);
      if (Array.isArray(result.tools)) this.remember(result.tools);
      if (typeof result.nextCursor !== "string" || result.nextCursor === "") {
        this.#complete = generation === this.#generation;
        return;
      }
      cursor = result.nextCursor;
    }
    throw new Error(`The upstream's tools/list did not end after ${MAX_PAGES} pages`);
  }
}
