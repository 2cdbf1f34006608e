export { createScrubber, secretValuesFromEnv, REDACTED, SECRET_ENV_NAME, MIN_SECRET_LENGTH, type Scrubber, type ScrubberOptions, type ScrubValueOptions } from './scrub.js';
export { createLogger, noopLogger, resolveObsPath, isLogLevel, LOG_LEVELS, MAX_LOG_STRING, type Logger, type LoggerOptions, type LogLevel, type LogFields, type LogEventName } from './logger.js';
export { LOG_EVENTS, EVENT_NAME, type LogEvent, type LogEventSpec } from './events.js';
export { newRequestId, isRequestId } from './ids.js';
export { MetricsRegistry, type Counter, type Gauge, type Histogram, type Labels, type MetricOptions, type HistogramOptions } from './metrics.js';
export { renderFamilies, parseExposition, escapeLabelValue, type FamilySnapshot, type ParsedFamilies, type ParsedSample } from './exposition.js';
export { writeMetricsFile, mergeFamilies, type WriteMetricsOptions, type WriteMetricsResult } from './metrics-file.js';
export {
  createAssistMetrics,
  BREAKER_STATE,
  TTFT_BUCKETS,
  TURN_OVERHEAD_BUCKETS,
  COMMAND_DURATION_BUCKETS,
  type AssistMetrics,
  type BreakerState,
  type LlmOutcome,
} from './assist-metrics.js';
export { openObservability, DEFAULT_METRICS_FILE, type Observability, type ObservabilityOptions } from './observability.js';
