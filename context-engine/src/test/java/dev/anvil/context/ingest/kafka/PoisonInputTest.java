package dev.anvil.context.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.ForwardingEmbedder;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.embed.InputType;
import dev.anvil.context.index.CommittedIndex;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records that can never be indexed go to the dead letters with their reason and never stall the
 * topic: a body past the limit, a tag value past the limit (Lucene would refuse the term), and a
 * record on which the embedder fails every time; every other record of the same batches is indexed.
 */
class PoisonInputTest {
  @TempDir Path dir;

  /** Fails, every time, on any batch holding a text with "poison" in it. */
  static final class PoisonedEmbedder extends ForwardingEmbedder {
    private final Embedder inner;

    PoisonedEmbedder(Embedder inner) {
      this.inner = inner;
    }

    @Override
    protected Embedder delegate() {
      return inner;
    }

    @Override
    public float[][] embed(InputType type, List<String> texts) {
      if (texts.stream().anyMatch(t -> t.contains("poison"))) {
        throw new IllegalStateException("the model cannot embed this text");
      }
      return inner.embed(type, texts);
    }
  }

  static Map.Entry<byte[], byte[]> upsert(String id, String body, Map<String, Object> tags) {
    return Map.entry(
        id.getBytes(StandardCharsets.UTF_8),
        new DocumentRecord.Upsert(new Document(id, 1, "", body, "", tags)).toJson());
  }

  @Test
  void recordsThatCanNeverIndexAreDeadLetteredAndTheRestIsIndexed() throws Exception {
    Map<String, Object> tags =
        Map.of("classification", "internal", "department", List.of("engineering"));
    List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String id = "doc-" + i;
      records.add(
          switch (i) {
            // (A body past its limit is past Kafka's default record size too: see
            // ContextServerTest.)
            case 50 ->
                Map.entry(
                    id.getBytes(StandardCharsets.UTF_8),
                    new DocumentRecord.Upsert(
                            new Document(
                                id,
                                1,
                                "t".repeat(Document.MAX_TITLE_LENGTH + 1),
                                "Body.",
                                "",
                                tags))
                        .toJson());
            case 90 ->
                upsert(
                    id,
                    "An owner's name of forty thousand characters.",
                    Map.of(
                        "classification", "internal",
                        "department", List.of("engineering"),
                        "owner", "o".repeat(40_000)));
            case 150 -> upsert(id, "A poison pill for the model.", tags);
            default -> upsert(id, "Note " + i + " about the build.", tags);
          });
    }
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        ContextEngine engine =
            ContextEngine.open(
                dir.resolve("index"),
                PolicyStore.open(TestPacks.example()),
                new PoisonedEmbedder(HashEmbedder.of("hash", 8)),
                OpenTelemetry.noop())) {
      KafkaTestSupport k = new KafkaTestSupport(kafka.bootstrapServers());
      k.createTopic("docs", 2);
      k.produce("docs", records);
      try (KafkaIngestor ingestor =
          KafkaIngestor.start(
              engine,
              KafkaIngestor.Config.defaults(kafka.bootstrapServers(), "poison")
                  .withTopic("docs")
                  .withMaxBatch(64),
              PrincipalDirectory.load(TestPacks.example().principalsFile())
                  .find("kafka-connector")
                  .orElseThrow(),
              OpenTelemetry.noop())) {
        k.awaitCaughtUp("docs", engine::checkpoint, Duration.ofMinutes(2));
        assertThat(ingestor.stats().indexed()).as("%s", ingestor.stats()).isEqualTo(197);
        assertThat(ingestor.stats().deadLettered()).isEqualTo(3);
      }
      Map<String, String> reasons = new java.util.TreeMap<>();
      for (var r : k.readAll("docs.dlq")) {
        reasons.put(
            new String(r.key(), StandardCharsets.UTF_8),
            new String(r.headers().lastHeader("anvil.dlq.reason").value(), StandardCharsets.UTF_8));
      }
      assertThat(reasons).containsOnlyKeys("doc-50", "doc-90", "doc-150");
      assertThat(reasons.get("doc-50")).contains("expected at most 1000 characters, was 1001");
      assertThat(reasons.get("doc-90"))
          .contains("tag 'owner': expected at most 256 characters, was 40000");
      assertThat(reasons.get("doc-150"))
          .contains("cannot be indexed")
          .contains("the model cannot embed this text");
      Path index = dir.resolve("index");
      assertThat(CommittedIndex.version(index, "doc-150")).isEmpty();
      assertThat(CommittedIndex.version(index, "doc-149")).hasValue(1);
      assertThat(CommittedIndex.version(index, "doc-151")).hasValue(1);
    }
  }
}
