package dev.anvil.context.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Document;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.grpc.v1.ContextServiceGrpc;
import dev.anvil.context.grpc.v1.SearchRequest;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.BearerToken;
import dev.anvil.rpc.GrpcServer;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The span tree and metrics of a gRPC Search, through the SDK's in-memory exporters: the agent's
 * trace continues into the server span, whose children are the engine's steps.
 */
class SearchTraceTest {
  @TempDir Path data;

  @Test
  void aSearchIsOneServerSpanWithTheEnginesStepsAsChildren() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    try (OpenTelemetrySdk otel =
            OpenTelemetrySdk.builder()
                .setTracerProvider(
                    SdkTracerProvider.builder()
                        .addSpanProcessor(SimpleSpanProcessor.create(spans))
                        .build())
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        ContextEngine engine =
            ContextEngine.open(
                data.resolve("index"),
                PolicyStore.open(TestPacks.example()),
                SharedEmbedder.get(),
                otel);
        AuditLog audit = AuditLog.open(data.resolve("audit.jsonl"))) {
      engine.ingest(
          people.find("kafka-connector").orElseThrow(),
          List.of(
              new Document(
                  "eng-1",
                  1,
                  "Kernel upgrade runbook",
                  "Upgrade the kernel one node at a time.",
                  "test://eng-1",
                  Map.of("classification", "internal", "department", List.of("engineering")))));
      DevTokenIssuer issuer =
          DevTokenIssuer.openOrCreate(data.resolve("dev-key.json"), Clock.systemUTC());
      String token =
          issuer.mint(people.find("alice").orElseThrow(), "test-agent", Duration.ofMinutes(5));
      GrpcServer server =
          ContextServer.start("127.0.0.1", 0, engine, issuer.verifier(), audit, otel);

      // The agent's own span, sent as W3C traceparent metadata.
      Span agent = otel.getTracer("agent").spanBuilder("agent.step").startSpan();
      Metadata headers = new Metadata();
      W3CTraceContextPropagator.getInstance()
          .inject(
              Context.root().with(agent),
              headers,
              (m, k, v) -> m.put(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER), v));
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try {
        var stub =
            ContextServiceGrpc.newBlockingStub(
                    ClientInterceptors.intercept(
                        channel, MetadataUtils.newAttachHeadersInterceptor(headers)))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        SearchRequest secret =
            SearchRequest.newBuilder().setQuery("kernel secret plan").setTopK(5).build();
        stub.withCallCredentials(new BearerToken(() -> token)).search(secret);
        stub.withCallCredentials(new BearerToken(() -> token)).search(secret); // a cache hit
        assertThatThrownBy(() -> stub.search(secret)).isInstanceOf(StatusRuntimeException.class);
      } finally {
        agent.end();
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
      }

      List<SpanData> all = spans.getFinishedSpanItems();
      List<SpanData> calls =
          all.stream()
              .filter(s -> s.getName().equals("anvil.context.v1.ContextService/Search"))
              .toList();
      assertThat(calls).hasSize(3);
      SpanData call = calls.getFirst();
      assertThat(call.getKind()).isEqualTo(SpanKind.SERVER);
      assertThat(call.getTraceId()).isEqualTo(agent.getSpanContext().getTraceId());
      assertThat(call.getParentSpanId()).isEqualTo(agent.getSpanContext().getSpanId());
      assertThat(call.getAttributes().get(AttributeKey.stringKey("rpc.method")))
          .isEqualTo("Search");
      assertThat(call.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")))
          .isEqualTo(0L);
      assertThat(calls.get(2).getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")))
          .as("the call without a token")
          .isEqualTo(16L); // UNAUTHENTICATED

      SpanData search = only(childrenOf(all, call));
      assertThat(search.getName()).isEqualTo("anvil.search");
      assertThat(childrenOf(all, search))
          .extracting(SpanData::getName)
          .containsExactly(
              "anvil.policy.compile",
              "anvil.embed",
              "anvil.search.bm25",
              "anvil.search.knn",
              "anvil.search.fusion",
              "anvil.search.pack");
      assertThat(
              all.stream()
                  .filter(s -> s.getName().equals("anvil.policy.compile"))
                  .map(s -> s.getAttributes().get(AttributeKey.stringKey("anvil.cache.result"))))
          .containsExactly("miss", "hit");
      for (SpanData s : all) {
        assertThat(s.getAttributes().asMap().values())
            .extracting(Object::toString)
            .as("span %s", s.getName())
            .noneMatch(v -> v.contains("alice") || v.contains("secret") || v.contains(token));
      }

      Map<String, MetricData> byName =
          metrics.collectAllMetrics().stream()
              .collect(java.util.stream.Collectors.toMap(MetricData::getName, m -> m));
      assertThat(byName)
          .containsKeys(
              "rpc.server.duration",
              "anvil.policy.compile.cache",
              "anvil.index.chunks",
              "anvil.index.segments",
              "anvil.index.size");
      assertThat(byName.get("rpc.server.duration").getHistogramData().getPoints())
          .extracting(p -> p.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")))
          .containsExactlyInAnyOrder(0L, 16L);
      assertThat(byName.get("anvil.index.chunks").getLongGaugeData().getPoints())
          .singleElement()
          .satisfies(p -> assertThat(p.getValue()).isEqualTo(1));
    }
  }

  private static SpanData only(List<SpanData> spans) {
    assertThat(spans).hasSize(1);
    return spans.getFirst();
  }

  private static List<SpanData> childrenOf(List<SpanData> all, SpanData parent) {
    return all.stream()
        .filter(s -> s.getParentSpanId().equals(parent.getSpanId()))
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .toList();
  }
}
