package dev.anvil.context.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.audit.AuditChain;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each topic is written by the one identity bound to it, against a real broker: a producer on the
 * intranet's topic cannot write, replace or delete an HR system document, whatever its records say
 * (another source tag, no source tag, a principal field, a delete), and the HR document stays as
 * the HR system's connector wrote it. The audit log records each write and each refusal.
 */
class KafkaWriteGovernanceTest {
  @TempDir Path dir;

  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());

  static Map.Entry<byte[], byte[]> record(String key, byte[] value) {
    return Map.entry(key.getBytes(StandardCharsets.UTF_8), value);
  }

  static Document hr(String id, long version, String body, Map<String, Object> tags) {
    return new Document(id, version, "Pay bands", body, "https://hr.acme/pay", tags);
  }

  @Test
  void theIntranetsTopicCannotWriteReplaceOrDeleteAnHrDocumentWhateverItsRecordsSay()
      throws Exception {
    Map<String, Object> hrTags =
        Map.of(
            "classification",
            "restricted",
            "department",
            List.of("hr"),
            "topics",
            List.of("compensation"),
            "source",
            "hr-system");
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        AuditLog audit = AuditLog.open(dir.resolve("audit.jsonl"));
        ContextEngine engine =
            ContextEngine.open(
                dir.resolve("index"),
                PolicyStore.open(TestPacks.example()),
                SharedEmbedder.get())) {
      KafkaTestSupport k = new KafkaTestSupport(kafka.bootstrapServers());
      k.createTopic("intranet", 1);
      k.createTopic("hr", 1);
      try (KafkaIngestor hrTopic = start(engine, kafka, audit, "hr", "hr-system-connector");
          KafkaIngestor intranetTopic =
              start(engine, kafka, audit, "intranet", "kafka-connector")) {
        k.produce(
            "hr",
            List.of(
                record(
                    "hr-system/pay",
                    new DocumentRecord.Upsert(
                            hr(
                                "hr-system/pay",
                                1,
                                "Level 5 engineers: 142,000 to 171,000.",
                                hrTags))
                        .toJson())));
        k.awaitCaughtUp("hr", engine::checkpoint, Duration.ofMinutes(1));

        Map<String, Object> untagged = new HashMap<>(hrTags);
        untagged.remove("source");
        k.produce(
            "intranet",
            List.of(
                // The HR document's own tags: the intranet's writer may not write that source.
                record(
                    "hr-system/pay",
                    new DocumentRecord.Upsert(hr("hr-system/pay", 2, "All bands frozen.", hrTags))
                        .toJson()),
                // No source tag: an id of the HR system's namespace is not the intranet's.
                record(
                    "hr-system/pay",
                    new DocumentRecord.Upsert(hr("hr-system/pay", 3, "All bands frozen.", untagged))
                        .toJson()),
                // Naming the HR system's connector as the writer.
                record(
                    "hr-system/pay",
                    ("{\"schema_version\":1,\"op\":\"upsert\",\"id\":\"hr-system/pay\","
                            + "\"version\":4,\"body\":\"All bands frozen.\",\"tags\":"
                            + "{\"classification\":\"restricted\",\"department\":[\"hr\"],"
                            + "\"source\":\"hr-system\"},\"principal\":\"hr-system-connector\"}")
                        .getBytes(StandardCharsets.UTF_8)),
                // A delete: the document is not the intranet writer's to see, so not to delete.
                record("hr-system/pay", new DocumentRecord.Delete("hr-system/pay").toJson())));
        k.awaitCaughtUp("intranet", engine::checkpoint, Duration.ofMinutes(1));
        assertThat(intranetTopic.stats().deadLettered()).isEqualTo(3);
        assertThat(intranetTopic.stats().indexed()).isZero();
      }

      Principal hannah = people.find("hannah").orElseThrow(); // HR compensation reader
      List<SearchHit> pay = engine.get(hannah, "hr-system/pay");
      assertThat(pay)
          .singleElement()
          .satisfies(
              h -> {
                assertThat(h.version()).isEqualTo(1);
                assertThat(h.text()).contains("142,000");
              });
      List<String> reasons =
          k.readAll("intranet.dlq").stream()
              .map(
                  r ->
                      new String(
                          r.headers().lastHeader("anvil.dlq.reason").value(),
                          StandardCharsets.UTF_8))
              .toList();
      assertThat(reasons)
          .hasSize(3)
          .anySatisfy(
              r ->
                  assertThat(r)
                      .contains("denied by policy default-deny for principal kafka-connector"))
          .anySatisfy(
              r ->
                  assertThat(r)
                      .contains("ids starting with 'hr-system/' belong to source 'hr-system'"))
          .anySatisfy(r -> assertThat(r).contains("a record may not name who writes it"));

      // The audit log holds each write before it was made and each refusal, with the topic's
      // identity, the ids (a record's place when it has no usable id) and the policy version.
      String version = engine.policies().current().version();
      List<String> lines = Files.readAllLines(dir.resolve("audit.jsonl"));
      assertThat(lines)
          .anySatisfy(
              l ->
                  assertThat(l)
                      .contains("\"subject\":\"hr-system-connector\"", "\"agent\":\"kafka:hr\"")
                      .contains("\"action\":\"ingest\"", "[\"hr-system/pay\"]", "\"OK\"")
                      .contains(version))
          .anySatisfy(
              l ->
                  assertThat(l)
                      .contains("\"subject\":\"kafka-connector\"", "\"agent\":\"kafka:intranet\"")
                      .contains("[\"hr-system/pay\"]", "\"PERMISSION_DENIED\""))
          .anySatisfy(l -> assertThat(l).contains("[\"hr-system/pay\"]", "\"INVALID_ARGUMENT\""))
          .anySatisfy(l -> assertThat(l).contains("[\"intranet/0/2\"]", "\"INVALID_ARGUMENT\""))
          .anySatisfy(
              l ->
                  assertThat(l)
                      .contains("\"action\":\"delete\"", "[\"hr-system/pay\"]", "\"NOT_FOUND\""));
      assertThat(lines)
          .filteredOn(l -> l.contains("kafka:intranet"))
          .noneMatch(l -> l.contains("\"OK\""));
      assertThat(AuditChain.verify(dir.resolve("audit.jsonl")))
          .isInstanceOf(AuditChain.Intact.class);
    }
  }

  private KafkaIngestor start(
      ContextEngine engine, LocalKafka kafka, AuditLog audit, String topic, String writer) {
    return KafkaIngestor.start(
        engine,
        KafkaIngestor.Config.defaults(kafka.bootstrapServers(), "replica").withTopic(topic),
        people.find(writer).orElseThrow(),
        audit.recorder(writer, writer, "kafka:" + topic, engine::modelId),
        OpenTelemetry.noop());
  }
}
