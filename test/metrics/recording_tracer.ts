/**
 * An OpenTelemetry `Tracer` that keeps every span it starts, with its parent as the context
 * named it: what an exporter would receive, without one.
 */
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  trace,
  TraceFlags,
  type Tracer,
} from "@opentelemetry/api";

export class RecordedSpan implements Span {
  readonly attributes: Record<string, AttributeValue> = {};
  status: SpanStatus | null = null;
  /** How often `end` was called (a span ends once). */
  ends = 0;
  readonly #context: SpanContext;

  constructor(
    readonly name: string,
    readonly kind: SpanKind | undefined,
    /** The parent's span context, or null for a root span. */
    readonly parent: SpanContext | null,
    attributes: Attributes = {},
  ) {
    this.#context = {
      traceId: parent?.traceId ?? hex(16),
      spanId: hex(8),
      traceFlags: TraceFlags.SAMPLED,
    };
    this.setAttributes(attributes);
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes)) {
      if (value !== undefined) this.attributes[key] = value;
    }
    return this;
  }

  addEvent(): this {
    return this;
  }

  addLink(): this {
    return this;
  }

  addLinks(): this {
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }

  updateName(): this {
    return this;
  }

  end(): void {
    this.ends++;
  }

  isRecording(): boolean {
    return this.ends === 0;
  }

  recordException(): void {}
}

export class RecordingTracer implements Tracer {
  readonly spans: RecordedSpan[] = [];

  startSpan(name: string, options: SpanOptions = {}, within: Context = context.active()): Span {
    const span = new RecordedSpan(
      name,
      options.kind,
      trace.getSpanContext(within) ?? null,
      options.attributes,
    );
    this.spans.push(span);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]) {
    const fn = rest[rest.length - 1] as F;
    return fn(this.startSpan(name)) as ReturnType<F>;
  }

  /** The one span called `name`. */
  named(name: string): RecordedSpan {
    const found = this.spans.filter((span) => span.name === name);
    if (found.length !== 1) throw new Error(`${found.length} spans named "${name}"`);
    return found[0];
  }
}

function hex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
