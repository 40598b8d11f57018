package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.ForwardingEmbedder;
import dev.anvil.context.embed.InputType;
import dev.anvil.context.serving.Reembedding;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Switching the served model: the engine re-embeds its index in the background while searches and
 * writes go on, switches at once, survives a restart, and rolls back without re-embedding.
 */
class ModelSwitchTest {
  @TempDir Path dir;

  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
  final Principal connector = people.find("kafka-connector").orElseThrow();
  final Principal alice = people.find("alice").orElseThrow();

  /**
   * A "new model": MiniLM's vectors with their components reversed. Dot products are unchanged, so
   * dense results equal the old model's exactly when query and index vectors come from the same
   * model, and go wrong if they were ever mixed.
   */
  static class Reversed extends ForwardingEmbedder {
    private final Embedder inner = SharedEmbedder.get();
    private final String id;
    private final Gate gate;

    /** A model that never holds its re-embedding. */
    Reversed(Path dir) {
      this(dir, Gate.opened());
    }

    Reversed(Path dir, Gate gate) {
      this.id = "reversed-" + dir.getFileName() + "@1";
      this.gate = gate;
    }

    @Override
    protected Embedder delegate() {
      return inner;
    }

    @Override
    public String modelId() {
      return id;
    }

    @Override
    public float[][] embed(InputType type, List<String> texts) {
      gate.pass();
      float[][] v = inner.embed(type, texts);
      for (float[] x : v) {
        for (int i = 0, j = x.length - 1; i < j; i++, j--) {
          float t = x[i];
          x[i] = x[j];
          x[j] = t;
        }
      }
      return v;
    }
  }

  /**
   * Holds the re-embedding thread after its first document until opened, so a test acts while a
   * re-embedding is under way by construction, not by timing. Writes (on other threads) pass.
   */
  static final class Gate {
    private final CountDownLatch open = new CountDownLatch(1);
    private final AtomicInteger calls = new AtomicInteger();

    void pass() {
      if (Thread.currentThread().getName().equals("anvil-reembed")
          && calls.getAndIncrement() >= 1) {
        try {
          open.await(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    void open() {
      open.countDown();
    }

    static Gate opened() {
      Gate g = new Gate();
      g.open();
      return g;
    }
  }

  final Gate gate = new Gate();

  ContextEngine open() {
    return ContextEngine.open(
        dir.resolve("index"),
        PolicyStore.open(TestPacks.example()),
        SharedEmbedder.get(),
        d -> new Reversed(d, gate),
        OpenTelemetry.noop());
  }

  /** The index directory the engine's record says serves: serving.json here ("." without). */
  String recordedServing() throws java.io.IOException {
    Path file = dir.resolve("index/serving.json");
    return Files.exists(file)
        ? com.google.gson.JsonParser.parseString(Files.readString(file))
            .getAsJsonObject()
            .get("index")
            .getAsString()
        : ".";
  }

  static Document doc(String id, long version, String body) {
    return new Document(
        id,
        version,
        "Note " + id,
        body,
        "test://" + id,
        Map.of("classification", "internal", "department", List.of("engineering")));
  }

  static final List<String> TOPICS =
      List.of(
          "kernel upgrade on the build cluster",
          "rotating encryption keys every ninety days",
          "on-call handover checklist for the weekend",
          "database failover drill in the second region",
          "load balancer certificates that expire soon",
          "flaky integration tests in the payment service");

  /** The documents of the certificates topic (doc-4, doc-10, ...), and the late note. */
  static boolean aboutCertificates(String id) {
    return id.startsWith("late-") || Integer.parseInt(id.substring(4)) % TOPICS.size() == 4;
  }

  List<String> dense(ContextEngine e, String query, List<String> models) {
    SearchResponse r =
        e.search(alice, new SearchRequest(query, 5, 0, Map.of(), SearchRequest.Mode.DENSE));
    models.add(r.modelId());
    return r.hits().stream().map(SearchHit::documentId).toList();
  }

  @Test
  void searchesNeverMixModelsAndWritesDuringTheReembeddingAreKept() throws Exception {
    String oldModel;
    String newModel;
    List<String> before;
    try (ContextEngine e = open()) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 48; i++) {
        docs.add(doc("doc-" + i, 1, "Runbook " + i + ": " + TOPICS.get(i % TOPICS.size()) + "."));
      }
      e.ingest(connector, docs);
      oldModel = e.modelId();
      before = dense(e, "certificates expiring", new ArrayList<>());

      Reembedding r = e.reembed(dir.resolve("tuned-1"), 24); // about 2 s for 48 chunks
      assertThatThrownBy(() -> e.reembed(dir.resolve("tuned-2"), 0))
          .hasMessageContaining("under way");
      // Searches throughout, on another thread; writes meanwhile on this one.
      ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<List<String>> results = new ConcurrentLinkedQueue<>();
      AtomicBoolean stop = new AtomicBoolean();
      Thread searcher =
          new Thread(
              () -> {
                while (!stop.get()) {
                  List<String> models = new ArrayList<>();
                  results.add(dense(e, "certificates expiring", models));
                  seen.addAll(models);
                }
              });
      searcher.start();
      TestUtils.waitForCondition(
          () -> r.done() >= 1, Duration.ofMinutes(1), "the first document re-embedded");
      e.ingest(connector, List.of(doc("late-1", 1, "Late note: the certificates expire soon.")));
      e.ingest(connector, List.of(doc("doc-7", 2, "Runbook 7, second version: rotate keys.")));
      assertThat(e.delete(alice, "doc-4"))
          .isInstanceOf(dev.anvil.context.api.DeleteOutcome.Deleted.class);
      assertThat(r.done()).as("still re-embedding when the writes came").isLessThan(48);
      gate.open();

      newModel = r.finished().get(1, TimeUnit.MINUTES);
      String switched = newModel;
      TestUtils.waitForCondition(
          () -> seen.contains(switched), Duration.ofMinutes(1), "a search answered by " + switched);
      stop.set(true);
      searcher.join();

      assertThat(newModel).isEqualTo("reversed-tuned-1@1").isEqualTo(e.modelId());
      assertThat(r.done()).isBetween(45L, 48L); // documents changed meanwhile were not copied
      assertThat(seen).contains(oldModel, newModel).containsOnly(oldModel, newModel);
      List<String> after = dense(e, "certificates expiring", new ArrayList<>());
      assertThat(after).contains("late-1");
      // Every result, before, during and after, is about certificates: query and index vectors
      // came from one model (mixed, the reversed vectors would rank at random).
      assertThat(before).allMatch(ModelSwitchTest::aboutCertificates);
      assertThat(results)
          .isNotEmpty()
          .allSatisfy(
              ids -> assertThat(ids).hasSize(5).allMatch(ModelSwitchTest::aboutCertificates));
      assertThat(e.get(alice, "doc-4")).isEmpty();
      assertThat(e.get(alice, "doc-7").getFirst().version()).isEqualTo(2);
      assertThat(e.chunkCount()).isEqualTo(48); // 48 - doc-4 + late-1
    }

    // A restart serves the new model; rollback is instant and the old index has every write.
    try (ContextEngine e = open()) {
      assertThat(e.modelId()).isEqualTo(newModel);
      e.ingest(connector, List.of(doc("late-2", 1, "After the restart: certificates renewed.")));
      assertThat(e.rollback()).isEqualTo(oldModel);
      assertThat(e.modelId()).isEqualTo(oldModel);
      List<String> models = new ArrayList<>();
      assertThat(dense(e, "certificates expiring", models)).contains("late-1", "late-2");
      assertThat(models).containsExactly(oldModel);
      assertThat(e.get(alice, "doc-4")).isEmpty();
      assertThat(e.get(alice, "doc-7").getFirst().version()).isEqualTo(2);
    }
    try (ContextEngine e = open()) {
      assertThat(e.modelId()).as("the rollback is durable").isEqualTo(oldModel);
      assertThat(e.rollback()).isEqualTo(newModel); // and the other way again
    }
  }

  @Test
  void anUnfinishedReembeddingLeavesTheServingModelAlone() throws Exception {
    String oldModel;
    Reembedding r;
    try (ContextEngine e = open()) {
      List<Document> docs = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        docs.add(doc("doc-" + i, 1, "Runbook " + i + ": " + TOPICS.get(i % TOPICS.size()) + "."));
      }
      e.ingest(connector, docs);
      oldModel = e.modelId();
      r = e.reembed(dir.resolve("slow"), 10);
      TestUtils.waitForCondition(
          () -> r.done() >= 1, Duration.ofMinutes(1), "the first document re-embedded");
      assertThat(r.done()).isBetween(1L, 29L);
      // Closing mid-way is what a stopped process leaves (serving.json untouched).
    }
    gate.open();
    Reembedding stopped = r;
    assertThatThrownBy(() -> stopped.finished().get(1, TimeUnit.MINUTES))
        .as("the re-embedding stopped with the engine")
        .isInstanceOf(java.util.concurrent.ExecutionException.class);
    assertThat(recordedServing()).isEqualTo(".");
    try (ContextEngine e = open()) {
      assertThat(e.modelId()).isEqualTo(oldModel);
      assertThat(e.chunkCount()).isEqualTo(30);
      assertThatThrownBy(e::rollback).hasMessageContaining("no previous model");
      Reembedding again = e.reembed(dir.resolve("slow"), 0); // starts over, from nothing
      assertThat(again.finished().get(1, TimeUnit.MINUTES)).isEqualTo("reversed-slow@1");
      assertThat(e.chunkCount()).isEqualTo(30);
    }
    assertThat(recordedServing()).isEqualTo("models/reversed-slow_1");
  }

  @Test
  void aModelWithAnotherTokenizerIsRefused() {
    try (ContextEngine e =
        ContextEngine.open(
            dir.resolve("index"),
            PolicyStore.open(TestPacks.example()),
            SharedEmbedder.get(),
            d ->
                new Reversed(d) {
                  @Override
                  public int maxTokens() {
                    return 64;
                  }
                },
            OpenTelemetry.noop())) {
      assertThatThrownBy(() -> e.reembed(dir.resolve("short"), 0))
          .isInstanceOf(ContextException.class)
          .hasMessageContaining("same tokenizer and token limit");
    }
  }
}
