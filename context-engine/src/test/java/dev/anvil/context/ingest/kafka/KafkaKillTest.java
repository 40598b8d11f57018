package dev.anvil.context.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Document;
import dev.anvil.context.index.CommittedIndex;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.TestJvm;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestSeed;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the consuming engine process with SIGKILL at random points of ingestion, ten times, with
 * new records (new documents, new versions, deletes, stale versions, bad records) before each
 * restart. After every kill no committed offset is ahead of the index's checkpoint; in the end
 * every document is indexed exactly once at its latest version, deleted ones are gone, every bad
 * record is in the dead-letter topic, and a graceful stop has committed every offset.
 */
@ExtendWith(TestSeed.class)
@Tag("heavy")
class KafkaKillTest {
  static final int KILLS = 10;
  static final String TOPIC = "docs";
  static final String GROUP = "replica-k";

  @TempDir Path dir;

  /** The expected state: id to version, or empty if deleted. */
  private final Map<String, Optional<Long>> expected = new TreeMap<>();

  private final Set<String> badIds = new HashSet<>();
  private int nextId;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Map.Entry<byte[], byte[]> upsert(String id, long version) {
    Document d =
        new Document(
            id,
            version,
            "",
            "Kill test " + id + " v" + version + " on brokers and offsets.",
            "",
            Map.of("classification", "internal", "department", List.of("engineering")));
    return Map.entry(utf8(id), new DocumentRecord.Upsert(d).toJson());
  }

  private List<Map.Entry<byte[], byte[]>> wave(Random r, int wave) {
    List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
    for (int j = 0; j < 300; j++) {
      List<String> live =
          expected.entrySet().stream()
              .filter(e -> e.getValue().isPresent())
              .map(Map.Entry::getKey)
              .toList();
      int kind = r.nextInt(100);
      if (kind < 55 || live.isEmpty()) {
        String id = "doc-" + nextId++;
        out.add(upsert(id, 1));
        expected.put(id, Optional.of(1L));
      } else if (kind < 80) {
        String id = live.get(r.nextInt(live.size()));
        long v = expected.get(id).orElseThrow() + 1;
        out.add(upsert(id, v));
        expected.put(id, Optional.of(v));
      } else if (kind < 88) {
        String id = live.get(r.nextInt(live.size()));
        out.add(Map.entry(utf8(id), new DocumentRecord.Delete(id).toJson()));
        expected.put(id, Optional.empty());
      } else if (kind < 94) {
        String id = live.get(r.nextInt(live.size()));
        out.add(upsert(id, 0)); // stale: ignored
      } else {
        String id = "bad-" + wave + "-" + j;
        badIds.add(id);
        out.add(
            Map.entry(
                utf8(id),
                utf8(
                    kind % 2 == 0
                        ? "{oops"
                        : "{\"schema_version\":1,\"op\":\"upsert\",\"id\":\""
                            + id
                            + "\",\"version\":1,\"body\":\"b\",\"tags\":{\"classification\":\"secret\"}}")));
      }
    }
    return out;
  }

  private Process start(String bootstrap) throws Exception {
    Process p =
        new ProcessBuilder(
                TestJvm.command(
                    KafkaEngineProcessMain.class,
                    dir.resolve("index").toString(),
                    TestPacks.example().dir().toString(),
                    bootstrap,
                    TOPIC,
                    GROUP))
            .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("engine.err").toFile()))
            .start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.equals("READY")) {
        return p;
      }
    }
    throw new IllegalStateException("engine exited before it was ready, exit " + p.waitFor());
  }

  @Test
  void killedTenTimesItEndsWithEveryDocumentOnceAtItsLatestVersion() throws Exception {
    long seed = TestSeed.RUN;
    Random r = new Random(seed);
    Path index = dir.resolve("index");
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0)) {
      KafkaTestSupport k = new KafkaTestSupport(kafka.bootstrapServers());
      k.createTopic(TOPIC, 3);
      int midIngestion = 0;
      for (int round = 0; round < KILLS; round++) {
        int kill = round;
        k.produce(TOPIC, wave(r, round));
        Process engine = start(kafka.bootstrapServers());
        Thread.sleep(300 + r.nextInt(2200));
        engine.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL
        Map<TopicPartition, Long> inIndex =
            KafkaTestSupport.positions(LuceneIndex.lastCheckpoint(index), TOPIC);
        Map<TopicPartition, Long> end = k.endOffsets(TOPIC);
        if (end.entrySet().stream()
            .anyMatch(e -> inIndex.getOrDefault(e.getKey(), 0L) < e.getValue())) {
          midIngestion++;
        }
        k.committed(GROUP)
            .forEach(
                (tp, offset) ->
                    assertThat(offset)
                        .as(
                            "seed %d, kill %d: offset of %s committed ahead of the index",
                            seed, kill, tp)
                        .isLessThanOrEqualTo(inIndex.getOrDefault(tp, 0L)));
      }
      assertThat(midIngestion)
          .as("seed %d: kills that hit ingestion", seed)
          .isGreaterThanOrEqualTo(KILLS / 2);

      k.produce(TOPIC, wave(r, KILLS));
      Process engine = start(kafka.bootstrapServers());
      k.awaitCaughtUp(TOPIC, () -> LuceneIndex.lastCheckpoint(index), Duration.ofMinutes(5));
      engine.destroy(); // SIGTERM: a graceful stop drains and commits
      assertThat(engine.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(k.committed(GROUP)).isEqualTo(k.endOffsets(TOPIC));

      try (ContextEngine check =
          ContextEngine.open(index, PolicyStore.open(TestPacks.example()), SharedEmbedder.get())) {
        long live = 0;
        for (var e : expected.entrySet()) {
          if (e.getValue().isPresent()) {
            live++;
            assertThat(CommittedIndex.version(index, e.getKey()))
                .as("seed %d: %s", seed, e.getKey())
                .hasValue(e.getValue().get());
          } else {
            assertThat(CommittedIndex.version(index, e.getKey()))
                .as("seed %d: %s deleted", seed, e.getKey())
                .isEmpty();
          }
        }
        assertThat(check.chunkCount())
            .as("seed %d: each document exactly once", seed)
            .isEqualTo(live);
        for (String bad : badIds) {
          assertThat(CommittedIndex.version(index, bad)).isEmpty();
        }
      }
      Set<String> dead = new HashSet<>();
      for (var rec : k.readAll("docs.dlq")) {
        dead.add(new String(rec.key(), StandardCharsets.UTF_8));
      }
      assertThat(dead).as("seed %d", seed).isEqualTo(badIds);
    }
  }
}
