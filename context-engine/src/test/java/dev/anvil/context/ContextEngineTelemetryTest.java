package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spans and metrics an operator sees, through the SDK's in-memory exporters. */
class ContextEngineTelemetryTest {
  @TempDir Path dir;

  @Test
  void searchAndIngestReportTheirStepsWithoutTheUsersIdentity() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    try (OpenTelemetrySdk otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
            .build()) {
      PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
      Principal alice = people.find("alice").orElseThrow();
      try (ContextEngine engine =
          ContextEngine.open(
              dir, PolicyStore.open(TestPacks.example()), SharedEmbedder.get(), otel)) {
        engine.ingest(
            people.find("kafka-connector").orElseThrow(),
            List.of(
                new Document(
                    "d1",
                    1,
                    "Runbook",
                    "Drain the node before the kernel upgrade.",
                    "",
                    Map.of("classification", "internal", "department", List.of("engineering")))));
        engine.search(alice, SearchRequest.of("kernel upgrade secret plan", 5));
      }

      List<SpanData> all = spans.getFinishedSpanItems();
      SpanData ingest =
          all.stream().filter(s -> s.getName().equals("anvil.ingest")).findFirst().orElseThrow();
      assertThat(childrenOf(all, ingest)).contains("anvil.embed", "anvil.index.commit");
      SpanData search =
          all.stream().filter(s -> s.getName().equals("anvil.search")).findFirst().orElseThrow();
      assertThat(childrenOf(all, search))
          .containsExactly(
              "anvil.policy.compile",
              "anvil.embed",
              "anvil.search.bm25",
              "anvil.search.knn",
              "anvil.search.fusion",
              "anvil.search.pack");
      assertThat(search.getAttributes().asMap().keySet())
          .extracting(k -> k.getKey())
          .contains(
              "anvil.policy.version", "anvil.model.id", "anvil.search.mode", "anvil.search.hits");
      for (SpanData s : all) {
        assertThat(s.getAttributes().asMap().values())
            .extracting(Object::toString)
            .as("span %s", s.getName())
            .doesNotContain("alice")
            .noneMatch(v -> v.contains("secret plan"));
      }
      assertThat(metrics.collectAllMetrics())
          .extracting(m -> m.getName())
          .contains("anvil.search.duration", "anvil.ingest.documents");
    }
  }

  private static List<String> childrenOf(List<SpanData> all, SpanData parent) {
    return all.stream()
        .filter(s -> s.getParentSpanId().equals(parent.getSpanId()))
        .sorted(java.util.Comparator.comparingLong(SpanData::getStartEpochNanos))
        .map(SpanData::getName)
        .toList();
  }
}
