package dev.anvil.events;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * W3C trace context ({@code traceparent}, {@code tracestate}) in Kafka record headers, through the
 * configured propagators: a producer writes its current context, a consumer links its span to the
 * context each record carries.
 */
public final class TraceHeaders {
  private static final TextMapSetter<Headers> SETTER =
      (headers, key, value) -> {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
      };

  private static final TextMapGetter<Headers> GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
          List<String> keys = new ArrayList<>();
          for (Header h : headers) {
            keys.add(h.key());
          }
          return keys;
        }

        @Override
        public String get(Headers headers, String key) {
          Header h = headers == null ? null : headers.lastHeader(key);
          return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
      };

  private TraceHeaders() {}

  /** Writes the current trace context into {@code headers}. */
  public static void inject(OpenTelemetry otel, Headers headers) {
    otel.getPropagators().getTextMapPropagator().inject(Context.current(), headers, SETTER);
  }

  /** The trace context {@code headers} carry (the root context if none). */
  public static Context extract(OpenTelemetry otel, Headers headers) {
    return otel.getPropagators().getTextMapPropagator().extract(Context.root(), headers, GETTER);
  }
}
