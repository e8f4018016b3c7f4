/**
 * In-memory OpenTelemetry for tests: installs global meter and tracer providers backed by in-memory
 * exporters (OpenTelemetry JS SDK 2.x constructor options), so a test
 * runs real code and then reads what `src/lib/telemetry` emitted. Any area's tests may use it:
 *
 *   const telemetry = installInMemoryTelemetry();
 *   afterEach(() => telemetry.uninstall());
 *   ...act...
 *   expect(await telemetry.sum(METRIC.notificationsAccepted, { 'graph_notify.endpoint': 'notifications' })).toBe(3);
 */
import { metrics, trace, type AttributeValue, type Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** One data point, flattened: counters and gauges give `value`; histograms give `sum`, `count`, `min`, `max`. */
export interface Point {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly attributes: Attributes;
  readonly value: number;
  readonly count: number;
  readonly min: number | undefined;
  readonly max: number | undefined;
}

export interface InMemoryTelemetry {
  /** Every data point collected now (cumulative since install). */
  points(): Promise<readonly Point[]>;
  /** Points of one metric whose attributes include `attributes`. */
  pointsOf(name: string, attributes?: Attributes): Promise<readonly Point[]>;
  /** Sum of the values (histograms: sum of recorded values) of one metric's matching points; 0 when none. */
  sum(name: string, attributes?: Attributes): Promise<number>;
  spans(): readonly ReadableSpan[];
  uninstall(): Promise<void>;
}

function matches(actual: Attributes, expected: Attributes): boolean {
  return Object.entries(expected).every(([key, value]: [string, AttributeValue | undefined]) => actual[key] === value);
}

function flatten(metric: MetricData): Point[] {
  const base = {
    name: metric.descriptor.name,
    unit: metric.descriptor.unit,
    description: metric.descriptor.description,
  };
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    return metric.dataPoints.map((point) => ({
      ...base,
      attributes: point.attributes,
      value: point.value.sum ?? 0,
      count: point.value.count,
      min: point.value.min,
      max: point.value.max,
    }));
  }
  if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    return metric.dataPoints.map((point) => ({
      ...base,
      attributes: point.attributes,
      value: point.value,
      count: 1,
      min: undefined,
      max: undefined,
    }));
  }
  throw new TypeError(`Unexpected metric data point type for ${metric.descriptor.name}`);
}

export function installInMemoryTelemetry(): InMemoryTelemetry {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: tests export on demand with forceFlush, never on a timer.
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });

  // The API refuses a second global provider until the first is disabled.
  metrics.disable();
  trace.disable();
  metrics.setGlobalMeterProvider(meterProvider);
  trace.setGlobalTracerProvider(tracerProvider);

  const points = async (): Promise<readonly Point[]> => {
    metricExporter.reset();
    await reader.forceFlush();
    const latest = metricExporter.getMetrics().at(-1);
    if (latest === undefined) return [];
    return latest.scopeMetrics.flatMap((scope) => scope.metrics.flatMap(flatten));
  };
  const pointsOf = async (name: string, attributes: Attributes = {}): Promise<readonly Point[]> =>
    (await points()).filter((point) => point.name === name && matches(point.attributes, attributes));

  return {
    points,
    pointsOf,
    sum: async (name, attributes) =>
      (await pointsOf(name, attributes)).reduce((total, point) => total + point.value, 0),
    spans: () => spanExporter.getFinishedSpans(),
    uninstall: async () => {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      metrics.disable();
      trace.disable();
    },
  };
}
