/**
 * Where `intercept check` gets the tools' input schemas: a saved `tools/list` answer
 * (`--schemas FILE`), or the server itself (`-- CMD`), listed as `intercept scan` lists it.
 */
import { UsageError } from "../cli/args.ts";

/** The server could not be started or asked for its tools. */
export class ServerListError extends Error {
  override name = "ServerListError";
}

/** A saved tools/list answer larger than this is not one. */
const MAX_SCHEMAS_BYTES = 64 * 1024 * 1024;

/** Tool name → its `inputSchema` ({} when the tool is listed without one). */
export type ToolSchemas = ReadonlyMap<string, unknown>;

/**
 * Reads `--schemas FILE`: a `tools/list` result (`{"tools": [...]}`), a whole JSON-RPC
 * response (`{"result": {"tools": [...]}}`), or the list of tools itself.
 */
export async function readSchemasFile(path: string): Promise<ToolSchemas> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new Error("not a regular file");
    if (info.size > MAX_SCHEMAS_BYTES) throw new Error(`larger than ${MAX_SCHEMAS_BYTES} bytes`);
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : (error as Error).message;
    throw new UsageError(`Cannot read --schemas ${path}: ${reason}`, "check");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--schemas ${path} is not JSON: ${(error as Error).message}`, "check");
  }
  const tools = toolsOf(json);
  if (!tools) {
    throw new UsageError(
      `--schemas ${path} holds no tool list: save the result of tools/list ({"tools": [...]}) ` +
        `or the whole JSON-RPC response`,
      "check",
    );
  }
  return schemasOf(tools, `--schemas ${path}`);
}

/** Starts the server, lists every page of its tools, and stops it. */
export async function fetchSchemas(
  command: readonly string[],
  timeoutMs: number,
): Promise<ToolSchemas> {
  // Loaded only here: the MCP SDK client is not needed for --schemas.
  const { ScanError, scanServer } = await import("../scan/scan_server.ts");
  try {
    const { tools } = await scanServer(command, { timeoutMs });
    return schemasOf(tools, "the server");
  } catch (error) {
    if (error instanceof ScanError) throw new ServerListError(error.message);
    throw error;
  }
}

function toolsOf(json: unknown): unknown[] | null {
  if (Array.isArray(json)) return json;
  if (!isObject(json)) return null;
  if (Array.isArray(json.tools)) return json.tools;
  if (isObject(json.result) && Array.isArray(json.result.tools)) return json.result.tools;
  return null;
}

function schemasOf(tools: readonly unknown[], where: string): ToolSchemas {
  const schemas = new Map<string, unknown>();
  tools.forEach((tool, index) => {
    if (!isObject(tool) || typeof tool.name !== "string") {
      throw new UsageError(`${where}: tool ${index} has no name`, "check");
    }
    schemas.set(tool.name, Object.hasOwn(tool, "inputSchema") ? tool.inputSchema : {});
  });
  return schemas;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
