/**
 * `withSpan` wraps a unit of work (above all a Graph call) in an OpenTelemetry span made active for its
 * duration, so outbound HTTP spans and logs inside it nest under it and, through the Azure Monitor
 * distribution's Functions hook, under the invocation.
 *
 * A span records only closed-list attributes and, on failure, the error's code, never its message: error
 * messages can quote a URL with a key or a Graph body. Detailed errors go to the invocation log through
 * `describeError`.
 */
import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { isGraphNotifyError } from '../shared/errors';
import {
  ATTRIBUTE,
  GRAPH_OPERATIONS,
  INSTRUMENTATION_SCOPE,
  SPAN_NAMES,
  type GraphOperation,
  type MetricResourceKind,
  type SpanName,
} from './catalogue';
import { toFlag, toResourceKind, toStatusCode } from './metrics';

/** What code inside a span may add to it: the same closed attributes the metrics use. */
export interface SpanDetails {
  readonly status?: number;
  readonly throttled?: boolean;
  readonly operation?: GraphOperation;
  readonly resourceKind?: MetricResourceKind | (string & {});
}

export interface SpanScope {
  annotate(details: SpanDetails): void;
}

function toAttributes(details: SpanDetails): Attributes {
  const attributes: Attributes = {};
  if (details.status !== undefined) attributes[ATTRIBUTE.statusCode] = toStatusCode(details.status);
  if (details.throttled !== undefined) attributes[ATTRIBUTE.throttled] = toFlag(details.throttled);
  if (details.operation !== undefined) {
    attributes[ATTRIBUTE.graphOperation] = GRAPH_OPERATIONS.includes(details.operation) ? details.operation : 'other';
  }
  if (details.resourceKind !== undefined) attributes[ATTRIBUTE.resourceKind] = toResourceKind(details.resourceKind);
  return attributes;
}

/** The error's stable code (`ERR_...`), the built-in class name for programming errors, or `_OTHER`. */
function errorType(error: unknown): string {
  if (isGraphNotifyError(error)) return error.code;
  if (error instanceof TypeError || error instanceof RangeError) return error.constructor.name;
  return '_OTHER';
}

/**
 * Runs `work` inside an active span named `name` (Graph calls: `graph.<operation>`, kind CLIENT). The span
 * ends when `work` settles; a rejection marks it as an error with the error's code and is rethrown unchanged.
 */
export async function withSpan<T>(
  name: SpanName,
  work: (scope: SpanScope) => Promise<T>,
  details: SpanDetails = {},
): Promise<T> {
  const spanName: SpanName = SPAN_NAMES.includes(name) ? name : 'graph.other';
  const kind = spanName.startsWith('graph.') ? SpanKind.CLIENT : SpanKind.INTERNAL;
  const tracer = trace.getTracer(INSTRUMENTATION_SCOPE);
  return tracer.startActiveSpan(spanName, { kind, attributes: toAttributes(details) }, async (span: Span) => {
    const scope: SpanScope = {
      annotate: (more) => {
        span.setAttributes(toAttributes(more));
      },
    };
    try {
      const result = await work(scope);
      return result;
    } catch (error: unknown) {
      const type = errorType(error);
      span.setAttribute(ATTRIBUTE.errorType, type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: type });
      throw error;
    } finally {
      span.end();
    }
  });
}
