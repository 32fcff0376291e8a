/**
 * `--metrics HOST:PORT` for a stdio proxy: `/metrics` in Prometheus text, nothing else. It
 * shows tool names and counts, never arguments; bind it where only the scraper reaches.
 */
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
        if (new URL(request.url).pathname !== "/metrics" || request.method !== "GET") {
          return new Response("Not found: metrics are at GET /metrics\n", { status: 404 });
        }
        return new Response(render(), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      });
    } catch (error) {
      reject(error);
    }
  });
}
