package dev.anvil.context.telemetry;

import dev.anvil.context.index.ChunkIndex;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * The engine's spans and metrics, through the OpenTelemetry API only: a no-op unless a main wires
 * the SDK. Spans never carry the user's identity or query text (the audit log is the place for who
 * asked; only digests go there).
 */
public final class Telemetry {
  public static final AttributeKey<String> POLICY_VERSION =
      AttributeKey.stringKey("anvil.policy.version");
  public static final AttributeKey<String> MODEL = AttributeKey.stringKey("anvil.model.id");
  public static final AttributeKey<String> MODE = AttributeKey.stringKey("anvil.search.mode");
  public static final AttributeKey<Long> HITS = AttributeKey.longKey("anvil.search.hits");
  public static final AttributeKey<Long> CANDIDATES =
      AttributeKey.longKey("anvil.search.candidates");
  public static final AttributeKey<Long> DOCUMENTS = AttributeKey.longKey("anvil.ingest.documents");
  public static final AttributeKey<Long> CHUNKS = AttributeKey.longKey("anvil.ingest.chunks");
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("anvil.ingest.outcome");
  public static final AttributeKey<String> CACHE = AttributeKey.stringKey("anvil.cache.result");

  private final Tracer tracer;
  private final DoubleHistogram searchMillis;
  private final LongCounter ingestOutcomes;
  private final LongCounter disagreements;
  private final LongCounter compileCache;
  private final LongCounter embeddedChunks;
  private final Meter meter;

  public Telemetry(OpenTelemetry otel) {
    this.tracer = otel.getTracer("dev.anvil.context");
    this.meter = otel.getMeter("dev.anvil.context");
    this.searchMillis =
        meter
            .histogramBuilder("anvil.search.duration")
            .setUnit("ms")
            .setDescription("Search latency inside the engine")
            .build();
    this.ingestOutcomes =
        meter
            .counterBuilder("anvil.ingest.documents")
            .setDescription("Documents ingested, by outcome")
            .build();
    this.disagreements =
        meter
            .counterBuilder("anvil.filter.disagreements")
            .setDescription("Chunks the index filter admitted but decide() denied (must stay 0)")
            .build();
    this.compileCache =
        meter
            .counterBuilder("anvil.policy.compile.cache")
            .setDescription("Policy compilations answered from the cache (hit) or compiled (miss)")
            .build();
    this.embeddedChunks =
        meter
            .counterBuilder("anvil.ingest.embedded_chunks")
            .setDescription(
                "Chunks written embedded, by the index they went to: serving, rollback (the previous"
                    + " model's, kept for a rollback) or building (a re-embedding's)")
            .build();
  }

  /**
   * Reports the index's size as gauges ({@code anvil.index.chunks}, {@code .segments}, {@code
   * .size}), read once per collection; close the result to stop.
   */
  public BatchCallback observeIndex(Supplier<ChunkIndex.Stats> stats) {
    ObservableLongMeasurement chunks =
        meter
            .gaugeBuilder("anvil.index.chunks")
            .ofLongs()
            .setDescription("Live chunks")
            .buildObserver();
    ObservableLongMeasurement segments =
        meter
            .gaugeBuilder("anvil.index.segments")
            .ofLongs()
            .setDescription("Lucene segments")
            .buildObserver();
    ObservableLongMeasurement bytes =
        meter
            .gaugeBuilder("anvil.index.size")
            .ofLongs()
            .setUnit("By")
            .setDescription("Bytes of the index directory")
            .buildObserver();
    return meter.batchCallback(
        () -> {
          ChunkIndex.Stats now = stats.get();
          chunks.record(now.chunks());
          segments.record(now.segments());
          bytes.record(now.bytes());
        },
        chunks,
        segments,
        bytes);
  }

  /** Counts a policy compilation, and marks the current span, as a cache hit or miss. */
  public void compiled(boolean cached) {
    String result = cached ? "hit" : "miss";
    compileCache.add(1, Attributes.of(CACHE, result));
    Span.current().setAttribute(CACHE, result);
  }

  /** A body that may fail with an I/O error. */
  public interface IoBody<T> {
    T run() throws IOException;
  }

  /** Runs {@code body} in a child span of the current one. */
  public <T> T span(String name, Supplier<T> body) {
    try {
      return spanIo(name, body::get);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Runs {@code body} in a child span of the current one, letting I/O errors through. */
  public <T> T spanIo(String name, IoBody<T> body) throws IOException {
    Span span = tracer.spanBuilder(name).startSpan();
    try (Scope scope = span.makeCurrent()) {
      return body.run();
    } catch (IOException | RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
      throw e;
    } finally {
      span.end();
    }
  }

  public void searched(long nanos, String mode) {
    searchMillis.record(nanos / 1e6, Attributes.of(MODE, mode));
  }

  /** Which index a write's chunks were embedded for (see {@code anvil.ingest.embedded_chunks}). */
  public static final AttributeKey<String> INDEX_ROLE = AttributeKey.stringKey("anvil.index.role");

  /** {@code chunks} embedded for the index of {@code role}: serving, rollback or building. */
  public void embedded(String role, long chunks) {
    embeddedChunks.add(chunks, Attributes.of(INDEX_ROLE, role));
  }

  public void ingested(String outcome, long count) {
    if (count > 0) {
      ingestOutcomes.add(count, Attributes.of(OUTCOME, outcome));
    }
  }

  public void disagreement() {
    disagreements.add(1);
  }
}
