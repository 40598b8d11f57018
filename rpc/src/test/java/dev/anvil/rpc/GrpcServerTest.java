package dev.anvil.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.Identity;
import dev.anvil.identity.IssuerUnavailableException;
import dev.anvil.rbac.Principal;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.AbstractBlockingStub;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every Anvil gRPC service gets from {@link GrpcServer} and {@link GrpcClient}, over a real
 * socket on 127.0.0.1: authentication before the service sees a call, a span and a latency
 * measurement per call (refused ones too, under the caller's trace), deadlines that cancel the
 * server's work, and health checks without a token.
 */
@Timeout(60)
class GrpcServerTest {
  /** A one-method service: {@code anvil.test.Echo/Who} answers who the caller is. */
  static final MethodDescriptor<String, String> WHO =
      MethodDescriptor.<String, String>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("anvil.test.Echo/Who")
          .setRequestMarshaller(Utf8.INSTANCE)
          .setResponseMarshaller(Utf8.INSTANCE)
          .build();

  /** Strings as UTF-8 bytes. */
  enum Utf8 implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /**
   * A stub for {@link #WHO}, so {@link GrpcClient#stub} is exercised as the real clients use it.
   */
  static final class EchoStub extends AbstractBlockingStub<EchoStub> {
    EchoStub(Channel channel, CallOptions options) {
      super(channel, options);
    }

    @Override
    protected EchoStub build(Channel channel, CallOptions options) {
      return new EchoStub(channel, options);
    }

    String who(String request) {
      return ClientCalls.blockingUnaryCall(getChannel(), WHO, getCallOptions(), request);
    }
  }

  @TempDir Path dir;
  DevTokenIssuer issuer;
  InMemorySpanExporter spans = InMemorySpanExporter.create();
  InMemoryMetricReader metrics = InMemoryMetricReader.create();
  OpenTelemetrySdk otel;
  GrpcServer server;

  /** Requests "wait" block until the call is cancelled, then record it here. */
  final CountDownLatch cancelled = new CountDownLatch(1);

  final AtomicReference<Identity> seen = new AtomicReference<>();

  BindableService echo() {
    return () ->
        ServerServiceDefinition.builder("anvil.test.Echo")
            .addMethod(
                WHO,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      Identity id = AuthInterceptor.IDENTITY.get();
                      seen.set(id);
                      if (request.equals("wait")) {
                        Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
                        return; // never answers: the caller's deadline must end the call
                      }
                      response.onNext(id.principal().subject());
                      response.onCompleted();
                    }))
            .build();
  }

  @BeforeEach
  void start() {
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("key.jwk.json"), Clock.systemUTC());
    otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build();
    server = GrpcServer.start("127.0.0.1", 0, issuer.verifier(), otel, List.of(echo()));
  }

  @AfterEach
  void stop() {
    server.close();
    otel.close();
  }

  private GrpcClient client(String token, Duration deadline) {
    return GrpcClient.connect("127.0.0.1", server.port(), () -> token, deadline);
  }

  /** A client that sends the current trace context (W3C) with every call. */
  private GrpcClient traced(String token) {
    return GrpcClient.connect(
        "127.0.0.1", server.port(), () -> token, Duration.ofSeconds(10), otel);
  }

  private String mint(String subject) {
    return issuer.mint(
        new Principal(subject, Set.of("employee"), Set.of(), Map.of()),
        "test-agent",
        Duration.ofMinutes(5));
  }

  @Test
  void aVerifiedCallerReachesTheServiceWithItsIdentity() {
    try (GrpcClient c = client(mint("alice"), Duration.ofSeconds(10))) {
      assertThat(c.stub(ch -> new EchoStub(ch, CallOptions.DEFAULT)).who("hello"))
          .isEqualTo("alice");
    }
    assertThat(seen.get().agent()).contains("test-agent");
  }

  @Test
  void noTokenAGarbageTokenOrAForeignOneIsRefusedBeforeTheService() {
    try (GrpcClient c = client("not-a-jwt", Duration.ofSeconds(10))) {
      assertThatThrownBy(() -> c.stub(ch -> new EchoStub(ch, CallOptions.DEFAULT)).who("x"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
    DevTokenIssuer other =
        DevTokenIssuer.openOrCreate(dir.resolve("other.jwk.json"), Clock.systemUTC());
    String foreign = other.mint(Principal.of("mallory"), "test-agent", Duration.ofMinutes(5));
    try (GrpcClient c = client(foreign, Duration.ofSeconds(10))) {
      assertThatThrownBy(() -> c.stub(ch -> new EchoStub(ch, CallOptions.DEFAULT)).who("x"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
    // Without call credentials at all: the interceptor names what it expected.
    try (GrpcClient c = client("unused", Duration.ofSeconds(10))) {
      Channel raw = c.untimed(ch -> new EchoStub(ch, CallOptions.DEFAULT)).getChannel();
      assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(raw, WHO, CallOptions.DEFAULT, "x"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e ->
                  assertThat(e.getStatus().getDescription())
                      .isEqualTo("expected 'authorization: Bearer <token>', found none"));
    }
    assertThat(seen.get()).as("the service never saw a refused call").isNull();
  }

  @Test
  void aTokenThatCannotBeReadFailsOnTheClientWithoutSendingIt() {
    try (GrpcClient c =
        GrpcClient.connect(
            "127.0.0.1",
            server.port(),
            () -> {
              throw new IllegalStateException("not logged in");
            },
            Duration.ofSeconds(10))) {
      assertThatThrownBy(() -> c.stub(ch -> new EchoStub(ch, CallOptions.DEFAULT)).who("x"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                assertThat(e.getStatus().getDescription()).contains("no token: not logged in");
              });
    }
  }

  @Test
  void anIssuerWithoutKeysMakesCallsUnavailableNeverAllowed() {
    server.close();
    server =
        GrpcServer.start(
            "127.0.0.1",
            0,
            token -> {
              throw new IssuerUnavailableException(
                  "the issuer's keys cannot be fetched", new java.io.IOException("refused"));
            },
            OpenTelemetry.noop(),
            List.of(echo()));
    try (GrpcClient c = client(mint("alice"), Duration.ofSeconds(10))) {
      assertThatThrownBy(() -> c.stub(ch -> new EchoStub(ch, CallOptions.DEFAULT)).who("x"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    }
    assertThat(seen.get()).isNull();
  }

  @Test
  void theDeadlineEndsTheCallAndCancelsTheServersWork() throws Exception {
    try (GrpcClient c = client(mint("alice"), Duration.ofMillis(300))) {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> c.stub(ch -> new EchoStub(ch, CallOptions.DEFAULT)).who("wait"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }
    assertThat(cancelled.await(10, TimeUnit.SECONDS))
        .as("the server's context was cancelled by the deadline")
        .isTrue();
  }

  @Test
  void everyCallHasAServerSpanUnderTheCallersTraceRefusedOnesToo() {
    SpanContext caller =
        SpanContext.create(
            "0af7651916cd43dd8448eb211c80319c",
            "b7ad6b7169203331",
            TraceFlags.getSampled(),
            TraceState.getDefault());
    try (var scope =
            Span.wrap(caller)
                .storeInContext(io.opentelemetry.context.Context.root())
                .makeCurrent();
        GrpcClient ok = traced(mint("alice"));
        GrpcClient refused = traced("garbage")) {
      ok.stub(ch -> new EchoStub(ch, CallOptions.DEFAULT)).who("x");
      assertThatThrownBy(() -> refused.stub(ch -> new EchoStub(ch, CallOptions.DEFAULT)).who("x"))
          .isInstanceOf(StatusRuntimeException.class);
    }
    List<SpanData> server =
        spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.SERVER).toList();
    assertThat(server).hasSize(2);
    assertThat(server)
        .allSatisfy(
            s -> {
              assertThat(s.getName()).isEqualTo("anvil.test.Echo/Who");
              assertThat(s.getTraceId()).isEqualTo(caller.getTraceId());
              assertThat(s.getParentSpanId()).isEqualTo(caller.getSpanId());
              assertThat(s.getAttributes().get(TelemetryInterceptor.METHOD)).isEqualTo("Who");
              assertThat(s.getAttributes().asMap().toString()).doesNotContain("Bearer", "garbage");
            });
    assertThat(server)
        .extracting(s -> s.getAttributes().get(TelemetryInterceptor.STATUS))
        .containsExactlyInAnyOrder(
            (long) Status.Code.OK.value(), (long) Status.Code.UNAUTHENTICATED.value());
    // A refused call is the caller's error, not the server's.
    assertThat(server).allMatch(s -> s.getStatus().getStatusCode() != StatusCode.ERROR);
    MetricData duration =
        metrics.collectAllMetrics().stream()
            .filter(m -> m.getName().equals("rpc.server.duration"))
            .findFirst()
            .orElseThrow();
    assertThat(duration.getHistogramData().getPoints())
        .extracting(p -> p.getAttributes().get(TelemetryInterceptor.STATUS))
        .containsExactlyInAnyOrder(
            (long) Status.Code.OK.value(), (long) Status.Code.UNAUTHENTICATED.value());
  }

  @Test
  void healthIsServedWithoutAToken() {
    // The client sends its (invalid) token; health and reflection do not look at it.
    try (GrpcClient c = client("not a token", Duration.ofSeconds(10))) {
      HealthCheckResponse r =
          c.stub(HealthGrpc::newBlockingStub)
              .check(HealthCheckRequest.newBuilder().setService("anvil.test.Echo").build());
      assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
  }
}
