/**
 * `--metrics HOST:PORT` for a stdio proxy: `GET /metrics` in Prometheus text, nothing else. It
 * shows tool names and counts, never arguments, without auth: bind it where only the scraper
 * reaches. As on `--listen`, a loopback bind answers loopback Host names only (DNS rebinding),
 * and a browser's request (any Origin) is refused.
 */
import { jsonError, metricsResponse, refuseHostOrOrigin } from "./http_listener.ts";

export interface MetricsListener {
  readonly url: string;
  close(): Promise<void>;
}

export function startMetricsListener(
  hostname: string,
  port: number,
  render: () => string,
): Promise<MetricsListener> {
  const controller = new AbortController();
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname,
        port,
        signal: controller.signal,
        onListen: (addr) =>
          resolve({
            url: `http://${
              addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
            }:${addr.port}/metrics`,
            close: async () => {
              controller.abort();
              await server.finished.catch(() => {});
            },
          }),
      }, (request) => {
        const refused = refuseHostOrOrigin(request, hostname, server.addr.port, []);
        if (refused) return refused;
        if (new URL(request.url).pathname !== "/metrics") {
          return jsonError(404, "Not found: metrics are at GET /metrics");
        }
        if (request.method !== "GET" && request.method !== "HEAD") {
          return jsonError(405, `Method ${request.method} is not allowed on /metrics`, {
            allow: "GET, HEAD",
          });
        }
        return metricsResponse(render());
      });
    } catch (error) {
      reject(error);
    }
  });
}
