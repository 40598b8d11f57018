package dev.anvil.rpc;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;

/**
 * Sends the caller's trace context ({@code traceparent}, {@code tracestate}, through the configured
 * propagators) with every call, so the server's span joins the caller's trace: the client half of
 * {@link TelemetryInterceptor}. With OpenTelemetry off it sends nothing.
 */
final class TraceContextInterceptor implements ClientInterceptor {
  private static final TextMapSetter<Metadata> SETTER =
      (headers, key, value) ->
          headers.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);

  private final OpenTelemetry otel;

  TraceContextInterceptor(OpenTelemetry otel) {
    this.otel = otel;
  }

  @Override
  public <Q, R> ClientCall<Q, R> interceptCall(
      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
    return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
      @Override
      public void start(Listener<R> listener, Metadata headers) {
        otel.getPropagators().getTextMapPropagator().inject(Context.current(), headers, SETTER);
        super.start(listener, headers);
      }
    };
  }
}
