package dev.anvil.rpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One server span and one latency measurement per gRPC call, named by the semantic conventions for
 * RPC ({@code rpc.system}, {@code rpc.service}, {@code rpc.method}, {@code rpc.grpc.status_code}).
 * The caller's W3C trace context ({@code traceparent} metadata) becomes the span's parent. It runs
 * outside the authentication interceptor, so refused calls are measured too; it records no
 * metadata, so the bearer token never reaches a span.
 */
public final class TelemetryInterceptor implements ServerInterceptor {
  public static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("rpc.system");
  public static final AttributeKey<String> SERVICE = AttributeKey.stringKey("rpc.service");
  public static final AttributeKey<String> METHOD = AttributeKey.stringKey("rpc.method");
  public static final AttributeKey<Long> STATUS = AttributeKey.longKey("rpc.grpc.status_code");

  /** Codes the semantic conventions count as server errors; the rest are the caller's. */
  private static final Set<Status.Code> SERVER_ERRORS =
      EnumSet.of(
          Status.Code.UNKNOWN,
          Status.Code.DEADLINE_EXCEEDED,
          Status.Code.UNIMPLEMENTED,
          Status.Code.INTERNAL,
          Status.Code.UNAVAILABLE,
          Status.Code.DATA_LOSS);

  private static final TextMapGetter<Metadata> METADATA =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Metadata carrier) {
          return carrier.keys();
        }

        @Override
        public String get(Metadata carrier, String key) {
          return key.endsWith(Metadata.BINARY_HEADER_SUFFIX)
              ? null
              : carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
        }
      };

  private final OpenTelemetry otel;
  private final Tracer tracer;
  private final DoubleHistogram duration;

  public TelemetryInterceptor(OpenTelemetry otel) {
    this.otel = otel;
    this.tracer = otel.getTracer("dev.anvil.context.grpc");
    this.duration =
        otel.getMeter("dev.anvil.context.grpc")
            .histogramBuilder("rpc.server.duration")
            .setUnit("ms")
            .setDescription("gRPC call latency by method and status")
            .setExplicitBucketBoundariesAdvice(
                List.of(1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 5000.0))
            .build();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long start = System.nanoTime();
    String service = call.getMethodDescriptor().getServiceName();
    String method = call.getMethodDescriptor().getBareMethodName();
    Attributes names = Attributes.of(SYSTEM, "grpc", SERVICE, service, METHOD, method);
    Context parent =
        otel.getPropagators().getTextMapPropagator().extract(Context.root(), headers, METADATA);
    Span span =
        tracer
            .spanBuilder(call.getMethodDescriptor().getFullMethodName())
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAllAttributes(names)
            .startSpan();
    Context context = parent.with(span);
    AtomicBoolean ended = new AtomicBoolean();
    ServerCall<Q, R> measured =
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            if (ended.compareAndSet(false, true)) {
              span.setAttribute(STATUS, (long) status.getCode().value());
              if (SERVER_ERRORS.contains(status.getCode())) {
                span.setStatus(StatusCode.ERROR, status.getCode().name());
              }
              span.end();
              duration.record(
                  (System.nanoTime() - start) / 1e6,
                  names.toBuilder().put(STATUS, (long) status.getCode().value()).build());
            }
            super.close(status, trailers);
          }
        };
    ServerCall.Listener<Q> listener;
    try (Scope scope = context.makeCurrent()) {
      listener = next.startCall(measured, headers);
    }
    // gRPC runs each callback on its executor: make the span current around every one.
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(Q message) {
        try (Scope scope = context.makeCurrent()) {
          super.onMessage(message);
        }
      }

      @Override
      public void onHalfClose() {
        try (Scope scope = context.makeCurrent()) {
          super.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        try (Scope scope = context.makeCurrent()) {
          super.onCancel();
        } finally {
          if (ended.compareAndSet(false, true)) {
            span.setAttribute(STATUS, (long) Status.Code.CANCELLED.value());
            span.end();
          }
        }
      }

      @Override
      public void onComplete() {
        try (Scope scope = context.makeCurrent()) {
          super.onComplete();
        }
      }

      @Override
      public void onReady() {
        try (Scope scope = context.makeCurrent()) {
          super.onReady();
        }
      }
    };
  }
}
