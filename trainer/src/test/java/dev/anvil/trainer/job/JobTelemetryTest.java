package dev.anvil.trainer.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.trainer.TinyModels;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A job's span tree (job → epochs → evaluations, checkpoints) and its metrics. */
class JobTelemetryTest {
  @RegisterExtension final OpenJobStores stores = new OpenJobStores();

  @TempDir Path dir;

  @Test
  void aJobIsOneSpanWithItsEpochsEvaluationsAndCheckpoints() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    Principal mia =
        PrincipalDirectory.load(TestPacks.example().principalsFile()).find("mia").orElseThrow();
    TinyModels.huggingFaceDir(dir.resolve("model"));
    TinyModels.write(dir.resolve("pairs.jsonl"), TinyModels.pairs());
    try (OpenTelemetrySdk otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
            .build()) {
      JobStore store = stores.open(dir.resolve("jobs"));
      Job job = store.submit("tiny", JobRunnerTest.spec("embedding", "pairs.jsonl", 2), dir, mia);
      new JobRunner(
              store,
              PolicyStore.open(TestPacks.example()),
              dir.resolve("models"),
              Device.cpu(),
              otel)
          .drain();

      List<SpanData> all = spans.getFinishedSpanItems();
      SpanData root =
          all.stream().filter(s -> s.getName().equals("anvil.train.job")).findFirst().orElseThrow();
      assertThat(root.getAttributes().get(AttributeKey.stringKey("anvil.job"))).isEqualTo(job.id());
      assertThat(root.getAttributes().get(AttributeKey.stringKey("anvil.train.state")))
          .isEqualTo("succeeded");
      // 24 training examples, batch 8: 3 steps an epoch; evaluations every 4 steps and at the end.
      assertThat(children(all, root))
          .extracting(SpanData::getName)
          .containsExactly("anvil.train.evaluate", "anvil.train.epoch", "anvil.train.epoch");
      List<SpanData> epochs =
          children(all, root).stream()
              .filter(s -> s.getName().equals("anvil.train.epoch"))
              .toList();
      assertThat(epochs)
          .extracting(s -> s.getAttributes().get(AttributeKey.longKey("anvil.train.epoch")))
          .containsExactly(1L, 2L);
      assertThat(children(all, epochs.get(1)))
          .extracting(SpanData::getName)
          .containsExactly(
              "anvil.train.evaluate", "anvil.train.checkpoint", // step 4
              "anvil.train.evaluate", "anvil.train.checkpoint"); // step 6, the last
      assertThat(children(all, epochs.get(1)).getFirst().getAttributes().asMap().keySet())
          .extracting(AttributeKey::getKey)
          .contains("anvil.train.step", "anvil.train.metric.ndcg@10");

      assertThat(metrics.collectAllMetrics())
          .extracting(MetricData::getName)
          .contains("anvil.train.steps", "anvil.train.loss", "anvil.train.throughput")
          .doesNotContain("anvil.train.gpu.memory"); // CPU
    }
  }

  private static List<SpanData> children(List<SpanData> all, SpanData parent) {
    return all.stream()
        .filter(s -> s.getParentSpanId().equals(parent.getSpanId()))
        .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos))
        .toList();
  }
}
