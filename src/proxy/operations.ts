/**
 * The parts operators use, attached to a running proxy: the control socket (ctl, dashboard)
 * and the audit log. Each is optional; each stops cleanly when the proxy ends.
 */
import { UsageError } from "../cli/args.ts";
import type { Logger } from "../cli/log.ts";
import type { AuditLog } from "../audit/audit_log.ts";
import { type ControlServer, startControlServer } from "../control/control_server.ts";
import type { ControlEvent } from "../control/protocol.ts";
import { settlesWithin } from "../transports/settles_within.ts";
import { feedMetrics, ProxyMetrics } from "../metrics/proxy_metrics.ts";
import { type MetricsListener, startMetricsListener } from "../transports/metrics_listener.ts";
import { isLoopback } from "../transports/loopback.ts";
import type { ApprovalEvent } from "./approvals.ts";
import type { EventBus } from "./event_bus.ts";
import type { ProxyRuntime } from "./proxy_runtime.ts";
import type { Attachment } from "./serve_stdio.ts";

export interface OperationsOptions {
  /** The control socket's path, or null for none. */
  controlPath: string | null;
  /** The path was asked for explicitly: failing to open it stops the proxy. */
  controlRequired: boolean;
  auditTarget: string | null;
  auditArgs: boolean;
  /** `--metrics HOST:PORT` (stdio proxies): a Prometheus endpoint of its own. */
  metrics: { hostname: string; port: number } | null;
  log: Logger;
}

export async function attachOperations(
  runtime: ProxyRuntime,
  bus: EventBus,
  options: OperationsOptions,
): Promise<Attachment> {
  const { log } = options;
  let audit: AuditLog | null = null;
  if (options.auditTarget !== null) {
    // Loaded only when asked for: hashing pulls in node:crypto, which start-up can skip.
    const { AuditLog, AuditOpenError } = await import("../audit/audit_log.ts");
    try {
      audit = await AuditLog.open(options.auditTarget, { includeArgs: options.auditArgs, log });
    } catch (error) {
      if (error instanceof AuditOpenError) throw new UsageError(error.message);
      throw error;
    }
  }
  let control: ControlServer | null = null;
  if (options.controlPath !== null) {
    try {
      control = await startControlServer(options.controlPath, runtime, {
        log: (message) => log.warn(message),
      });
    } catch (error) {
      const message = `Cannot open the control socket: ${(error as Error).message}`;
      if (options.controlRequired) {
        await audit?.close();
        throw new UsageError(message);
      }
      log.warn(`${message} (going on without one; --no-control silences this)`);
    }
  }
  let metrics: { listener: MetricsListener; unsubscribe: () => void } | null = null;
  if (options.metrics) {
    const proxyMetrics = new ProxyMetrics({
      sessions: () => 1,
      inflight: () => runtime.inflight(),
      approvalsPending: () => runtime.approvals().length,
    });
    try {
      const listener = await startMetricsListener(
        options.metrics.hostname,
        options.metrics.port,
        () => proxyMetrics.render(),
      );
      metrics = { listener, unsubscribe: feedMetrics(bus, proxyMetrics) };
      log.info(`Serving metrics at ${listener.url}`);
      if (!isLoopback(options.metrics.hostname)) {
        log.warn(
          `--metrics on ${options.metrics.hostname} shows tool names and counts, without auth, ` +
            `to anyone who reaches it`,
        );
      }
    } catch (error) {
      await control?.close();
      await audit?.close();
      throw new UsageError(`Cannot serve --metrics: ${(error as Error).message}`);
    }
  }
  const unsubscribe = audit ? runtime.subscribe((event) => auditEvent(audit!, event)) : null;
  const unsubscribeCalls = audit
    ? bus.subscribe((event) => {
      if (event.type === "decision") audit!.decision(event.event);
      else if (event.type === "approval") auditApproval(audit!, event.event);
    })
    : null;
  const status = runtime.status();
  audit?.lifecycle("start", {
    pid: Deno.pid,
    version: status.version,
    policy: status.policy.source,
    upstream: status.upstream.command,
    control: control?.path ?? null,
  });
  return {
    controlPath: control?.path ?? null,
    async stop(exitCode: number) {
      unsubscribe?.();
      unsubscribeCalls?.();
      metrics?.unsubscribe();
      await metrics?.listener.close();
      await control?.close();
      audit?.lifecycle("stop", { exitCode });
      if (audit && !await settlesWithin(audit.close(), AUDIT_CLOSE_MS)) {
        log.error(`The audit log did not finish writing within ${AUDIT_CLOSE_MS / 1000}s`);
      }
    },
  };
}

/** A stalled disk must not keep the proxy from exiting. */
const AUDIT_CLOSE_MS = 10_000;

/** `approval_requested` … `approval_withdrawn`, with the call and who decided. */
function auditApproval(audit: AuditLog, event: ApprovalEvent): void {
  const { approval } = event;
  audit.lifecycle(event.type, {
    id: approval.id,
    tool: approval.tool,
    rule: approval.rule,
    session: approval.session,
    principal: approval.principal,
    client: approval.client,
    expiresAt: new Date(approval.expiresAt).toISOString(),
    by: event.type === "approval_requested" ? null : event.by,
    reason: event.type === "approval_requested" ? null : event.reason,
  });
}

function auditEvent(audit: AuditLog, event: ControlEvent): void {
  if (event.method === "policy") {
    const { params } = event;
    if (params.event === "reloaded") {
      audit.lifecycle("policy_reloaded", {
        source: params.source,
        toolsChanged: params.toolsChanged,
      });
    } else audit.lifecycle("policy_refused", { source: params.source, error: params.error });
  } else if (event.method === "control") {
    const { params } = event;
    const kind = params.event === "deny"
      ? "live_deny"
      : params.event === "allow"
      ? "live_allow"
      : "reset";
    audit.lifecycle(kind, { tool: params.tool, reason: params.reason, by: params.by ?? null });
  }
}
