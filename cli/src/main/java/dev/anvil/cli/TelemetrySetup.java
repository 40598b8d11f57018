package dev.anvil.cli;

import io.opentelemetry.instrumentation.runtimemetrics.java17.RuntimeMetrics;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;

/**
 * Wires the OpenTelemetry SDK for a command from the standard {@code OTEL_*} environment variables
 * (or {@code otel.*} system properties), e.g. {@code
 * OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318}. Off unless one of them names an exporter or
 * endpoint: the embedded default sends nothing anywhere.
 */
final class TelemetrySetup {
  private TelemetrySetup() {}

  /** Whether the environment asks for telemetry. */
  static boolean requested(Map<String, String> env) {
    if ("true".equalsIgnoreCase(env.get("OTEL_SDK_DISABLED"))) {
      return false;
    }
    return env.keySet().stream()
            .anyMatch(
                k ->
                    k.startsWith("OTEL_EXPORTER_OTLP_")
                        || k.equals("OTEL_TRACES_EXPORTER")
                        || k.equals("OTEL_METRICS_EXPORTER"))
        || System.getProperty("otel.exporter.otlp.endpoint") != null;
  }

  /**
   * Installs the SDK as the global OpenTelemetry when requested, with JVM metrics; names the
   * service after the command. {@code OTEL_METRICS_EXPORTER=prometheus} serves a scrape endpoint on
   * 127.0.0.1:9464 (set {@code OTEL_EXPORTER_PROMETHEUS_HOST} to expose it, as the chart does).
   */
  static void install(String command) {
    if (!requested(System.getenv())) {
      // The no-op, said once: otherwise GlobalOpenTelemetry.get() logs that it found the SDK.
      io.opentelemetry.api.GlobalOpenTelemetry.set(io.opentelemetry.api.OpenTelemetry.noop());
      return;
    }
    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            // Defaults only: OTEL_* variables and otel.* properties override them.
            .addPropertiesSupplier(
                () ->
                    Map.of(
                        "otel.service.name", "anvil-" + command,
                        "otel.logs.exporter", "none",
                        "otel.exporter.otlp.protocol", "http/protobuf",
                        "otel.exporter.prometheus.host", "127.0.0.1"))
            .setResultAsGlobal()
            .build()
            .getOpenTelemetrySdk();
    RuntimeMetrics.create(sdk); // memory, GC, threads, CPU; lives as long as the process
  }
}
