package dev.anvil.judge.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.events.EventEnvelope;
import dev.anvil.judge.Judging;
import dev.anvil.judge.LabelRequest;
import dev.anvil.judge.MemoryCorpus;
import dev.anvil.judge.Source;
import dev.anvil.judge.Status;
import dev.anvil.judge.TaskSpec;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Judgments reach a real Kafka broker (on 127.0.0.1) through the store's outbox. */
class JudgmentsToKafkaTest {
  @TempDir Path dir;

  @Test
  void aSubmittedJudgmentIsPublishedWithItsAnnotatorAndTags() throws Exception {
    var pack = TestPacks.example();
    var people = PrincipalDirectory.load(pack.principalsFile());
    MemoryCorpus corpus = new MemoryCorpus(PolicyStore.open(pack));
    corpus
        .put(
            "eng/cache",
            0,
            2,
            "The cache is invalidated on every deploy.",
            Map.of("classification", "internal", "department", List.of("engineering")))
        .rank("deploys", "bm25", "eng/cache#0", 3.0);
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        Store store = Store.open(StoreConfig.embedded(dir))) {
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      Judging judging = Judging.open(store, corpus, Clock.systemUTC(), true);
      var task =
          judging.createTask(
              people.find("mia").orElseThrow(),
              new TaskSpec("t", "", List.of("deploys"), 2, 10, ""));
      String item = judging.queue(people.find("ada").orElseThrow(), task.id(), 1).getFirst().id();
      // Stored while no publisher runs: the outbox keeps it until one does.
      judging.label(
          people.find("ada").orElseThrow(),
          new LabelRequest(item, 2, Status.SUBMITTED, "close", ""),
          Source.EXPERT);
      try (KafkaJudgmentEvents events = new KafkaJudgmentEvents(client, "anvil.judgments");
          OutboxPublisher publisher = OutboxPublisher.start(store, events, Duration.ofMillis(50))) {
        List<EventEnvelope> got = read(client, "anvil.judgments", 1);
        assertThat(got).hasSize(1);
        EventEnvelope e = got.getFirst();
        assertThat(e.type()).isEqualTo("anvil.judgment.labelled");
        assertThat(e.source()).isEqualTo("anvil-judgments");
        JsonObject d = e.data();
        assertThat(d.get("item_id").getAsString()).isEqualTo(item);
        assertThat(d.get("annotator").getAsString()).isEqualTo("ada");
        assertThat(d.get("label").getAsInt()).isEqualTo(2);
        assertThat(d.get("status").getAsString()).isEqualTo("submitted");
        assertThat(d.get("source").getAsString()).isEqualTo("expert");
        assertThat(d.get("text_sha256").getAsString())
            .isEqualTo(Judging.sha256("The cache is invalidated on every deploy."));
        assertThat(d.getAsJsonObject("tags").get("classification").getAsString())
            .isEqualTo("internal");
        assertThat(d.has("text")).as("never the chunk's text").isFalse();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (publisher.sent() < 1 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(publisher.sent()).isEqualTo(1);
        int left =
            store.transaction(
                c -> {
                  try (var r =
                      c.createStatement().executeQuery("SELECT COUNT(*) FROM judge_outbox")) {
                    r.next();
                    return r.getInt(1);
                  }
                });
        assertThat(left).as("the outbox is emptied once the broker acknowledged").isZero();
      }
    }
  }

  private static List<EventEnvelope> read(Map<String, Object> client, String topic, int n) {
    Map<String, Object> c = new HashMap<>(client);
    c.put("group.id", "test-reader");
    c.put("auto.offset.reset", "earliest");
    List<EventEnvelope> out = new ArrayList<>();
    try (var consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (out.size() < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(EventEnvelope.parse(new String(r.value(), StandardCharsets.UTF_8)));
        }
      }
    }
    return out;
  }
}
