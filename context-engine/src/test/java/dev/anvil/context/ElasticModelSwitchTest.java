package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.ModelDeniedException;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.index.elastic.ElasticConfig;
import dev.anvil.context.index.elastic.ElasticIndex;
import dev.anvil.context.index.elastic.ElasticServing;
import dev.anvil.context.index.elastic.TestCluster;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.context.serving.Reembedding;
import dev.anvil.context.serving.ServingIndexes;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import io.opentelemetry.api.OpenTelemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The model switch ({@link ModelSwitchTest}) with the chunks in a real Elasticsearch node: the
 * re-embedding fills an index of its own in the cluster, searches never mix models, writes during
 * it reach both indexes, an unfinished one leaves the serving model alone and starts over. Which
 * index serves is the cluster's serving alias, so several engines over one prefix (replicas) serve
 * the same model: a switch or rollback on one is followed by the others, in one atomic alias swap.
 * The switch, rollback and following also run against a real OpenSearch node.
 */
@Tag("heavy")
class ElasticModelSwitchTest extends ModelSwitchTest {
  /** Short, so that following is quick here; production reads the alias every 5 s. */
  private static final Duration FOLLOW = Duration.ofMillis(200);

  /** A replica that follows only when a test tells it to (as good as never by itself). */
  private static final Duration MANUAL = Duration.ofMinutes(30);

  /** The product of this test's cluster: Elasticsearch unless a test says otherwise. */
  private TestCluster cluster = TestCluster.ELASTICSEARCH;

  private ElasticConfig config = cluster.node().freshConfig();

  /** Runs this test against {@code product}'s node instead, over a fresh prefix. */
  private void on(TestCluster product) {
    cluster = product;
    config = product.node().freshConfig();
  }

  @Override
  ContextEngine open() {
    return open("index", FOLLOW);
  }

  /** An engine replica over the same cluster and prefix, with a data directory of its own. */
  ContextEngine open(String dataDir, Duration follow) {
    return ContextEngine.open(
        dir.resolve(dataDir),
        new IndexBackend.Cluster(cluster.dialect(), config, follow),
        PolicyStore.open(TestPacks.example()),
        SharedEmbedder.get(),
        d -> new Reversed(d, gate),
        ModelRegistry.none(),
        OpenTelemetry.noop());
  }

  @Override
  String recordedServing() {
    try (ElasticServing aliases = new ElasticServing(config)) {
      return aliases.read().serving().map(ElasticServing.Entry::dir).orElse(".");
    }
  }

  /** The three aliases, as the directories of their indexes. */
  String aliases() {
    try (ElasticServing aliases = new ElasticServing(config)) {
      ElasticServing.State s = aliases.read();
      return "serving="
          + s.serving().map(ElasticServing.Entry::dir).orElse("(none)")
          + " rollback="
          + s.rollback().map(ElasticServing.Entry::dir).orElse("(none)")
          + " building="
          + s.building().map(ElasticServing.Entry::dir).orElse("(none)");
    }
  }

  private List<Document> runbooks(int n) {
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      docs.add(doc("doc-" + i, 1, "Runbook " + i + ": " + TOPICS.get(i % TOPICS.size()) + "."));
    }
    return docs;
  }

  @ParameterizedTest
  @EnumSource(TestCluster.class)
  void aSwitchOnOneReplicaIsFollowedByTheOtherAndItsRollbackByTheFirst(TestCluster product)
      throws Exception {
    on(product);
    // Replica 2 follows only when told, so each step below is deterministic; replica 1 polls.
    try (ContextEngine one = open();
        ContextEngine two = open("index-2", MANUAL)) {
      one.ingest(connector, runbooks(24));
      String oldModel = one.modelId();
      assertThat(two.modelId()).isEqualTo(oldModel);
      assertThat(aliases()).isEqualTo("serving=. rollback=(none) building=(none)");

      Reembedding r = one.reembed(dir.resolve("tuned-1"), 0);
      TestUtils.waitForCondition(
          () -> r.done() >= 1, Duration.ofMinutes(1), "the first document re-embedded");
      // A crash now would leave the alias on the old index: the new one is only being built.
      assertThat(aliases())
          .isEqualTo("serving=. rollback=(none) building=models/reversed-tuned-1_1");
      // Replica 2 wrote doc-0 (copied already) before it saw the re-embedding: only to the old
      // index. The re-embedding compares both indexes before the swap and copies it again.
      two.ingest(connector, List.of(doc("doc-0", 2, "Runbook 0, second version: kernel upgrade.")));
      assertThat(two.followServing()).as("replica 2 sees the re-embedding").isTrue();
      assertThat(two.modelId()).isEqualTo(oldModel);
      // From now on replica 2 writes to both indexes, each with its own model's vectors.
      two.ingest(connector, List.of(doc("late-1", 1, "Late note: the certificates expire soon.")));
      assertThat(two.delete(alice, "doc-11"))
          .isInstanceOf(dev.anvil.context.api.DeleteOutcome.Deleted.class);
      gate.open();
      String newModel = r.finished().get(1, TimeUnit.MINUTES);
      assertThat(one.modelId()).isEqualTo(newModel).isEqualTo("reversed-tuned-1@1");
      assertThat(aliases())
          .isEqualTo("serving=models/reversed-tuned-1_1 rollback=. building=(none)");
      // Tools (anvil policy diff) read the index the alias names, not a data directory's stale
      // serving.json.
      Path stale = dir.resolve("stale");
      Files.createDirectories(stale);
      Files.writeString(stale.resolve("serving.json"), "{\"index\":\".\"}");
      IndexBackend backend = new IndexBackend.Cluster(cluster.dialect(), config);
      assertThat(ServingIndexes.servingDir(stale, backend)).isEqualTo("models/reversed-tuned-1_1");
      assertThat(ServingIndexes.servingDir(stale, IndexBackend.embedded())).isEqualTo(".");

      assertThat(two.followServing()).isTrue();
      List<String> models = new ArrayList<>();
      List<String> ids = dense(two, "certificates expiring", models);
      assertThat(models).containsExactly(newModel); // the query embedded by the index's model
      assertThat(ids).hasSize(5).allMatch(ModelSwitchTest::aboutCertificates).contains("late-1");
      assertThat(two.get(alice, "doc-0").getFirst().version()).isEqualTo(2);
      assertThat(one.get(alice, "doc-11")).isEmpty();
      assertThat(one.chunkCount()).isEqualTo(24); // 24 - doc-11 + late-1

      // Rollback on replica 2: replica 1 follows by itself, within its polling interval.
      assertThat(two.rollback()).isEqualTo(oldModel);
      TestUtils.waitForCondition(
          () -> one.modelId().equals(oldModel), Duration.ofSeconds(30), "replica 1 follows");
      models.clear();
      assertThat(dense(one, "certificates expiring", models))
          .allMatch(ModelSwitchTest::aboutCertificates);
      assertThat(models).containsExactly(oldModel);
      assertThat(aliases())
          .isEqualTo("serving=. rollback=models/reversed-tuned-1_1 building=(none)");
      Files.writeString(stale.resolve("serving.json"), "{\"index\":\"models/reversed-tuned-1_1\"}");
      assertThat(ServingIndexes.servingDir(stale, backend)).isEqualTo(".");
      // A swap computed before the rollback is refused whole by the cluster (must_exist).
      try (ElasticServing aliases = new ElasticServing(config)) {
        assertThatThrownBy(
                () ->
                    aliases.swap(
                        config.indexName("models/reversed-tuned-1_1"),
                        config.indexName("."),
                        ElasticServing.rollbackAlias(config)))
            .isInstanceOf(ContextException.class)
            .hasMessageContaining("changed meanwhile");
      }
      assertThat(aliases())
          .isEqualTo("serving=. rollback=models/reversed-tuned-1_1 building=(none)");

      // A restarted replica reads the alias, never a stale local record.
      two.close();
      try (ContextEngine again = open("index-3", MANUAL)) {
        assertThat(again.modelId()).isEqualTo(oldModel);
        assertThat(again.previousModelId()).contains(newModel);
      }

      // Dropping the rollback (no second embedding of each write): its alias goes at once, its
      // index once the replicas followed, and no later write brings it back.
      String kept = config.indexName("models/reversed-tuned-1_1");
      assertThat(status("HEAD", "/" + kept)).isEqualTo(200);
      assertThat(one.dropRollback()).isEqualTo(newModel);
      assertThat(aliases()).isEqualTo("serving=. rollback=(none) building=(none)");
      assertThat(status("HEAD", "/" + kept)).isEqualTo(404);
      try (ContextEngine again = open("index-4", MANUAL)) {
        assertThat(again.previousModelId()).isEmpty();
        again.ingest(connector, List.of(doc("late-2", 1, "After the drop: keys rotated.")));
        assertThat(again.get(alice, "late-2")).hasSize(1);
      }
      assertThat(status("HEAD", "/" + kept)).isEqualTo(404);
    }
  }

  @Test
  void theAliasSwapIsAtomicForConcurrentSearchers() throws Exception {
    gate.open();
    try (ContextEngine one = open();
        ContextEngine two = open("index-2", FOLLOW);
        ElasticServing aliases = new ElasticServing(config)) {
      one.ingest(connector, runbooks(30));
      String oldModel = one.modelId();
      String newModel = one.reembed(dir.resolve("tuned-1"), 0).finished().get(1, TimeUnit.MINUTES);
      AtomicBoolean stop = new AtomicBoolean();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<String> seen = new ConcurrentLinkedQueue<>();
      AtomicInteger reads = new AtomicInteger();
      Thread aliasReader =
          new Thread(
              () -> {
                while (!stop.get()) {
                  try { // exactly one serving index, or read() throws
                    Optional<ElasticServing.Entry> s = aliases.read().serving();
                    if (s.isEmpty()) {
                      problems.add("no serving index");
                    }
                    reads.incrementAndGet();
                  } catch (RuntimeException e) {
                    problems.add(e.toString());
                  }
                }
              });
      Thread searcher =
          new Thread(
              () -> {
                while (!stop.get()) {
                  try {
                    List<String> models = new ArrayList<>();
                    List<String> ids = dense(two, "certificates expiring", models);
                    seen.addAll(models);
                    if (ids.size() != 5
                        || !ids.stream().allMatch(ModelSwitchTest::aboutCertificates)) {
                      problems.add("mixed models? " + ids);
                    }
                  } catch (RuntimeException e) {
                    problems.add(e.toString());
                  }
                }
              });
      aliasReader.start();
      searcher.start();
      for (int i = 0; i < 10; i++) {
        one.rollback();
        Thread.sleep(150);
      }
      assertThat(one.modelId()).isEqualTo(newModel); // an even number of rollbacks
      TestUtils.waitForCondition(
          () -> two.modelId().equals(newModel), Duration.ofSeconds(30), "replica 2 follows");
      stop.set(true);
      aliasReader.join();
      searcher.join();
      assertThat(problems).isEmpty();
      assertThat(reads.get()).isGreaterThan(10);
      assertThat(seen).contains(newModel).containsOnly(oldModel, newModel);
    }
  }

  @Test
  void aReplicaActsOnWhatServesNowAndAStaleSwapIsRefusedWhole() throws Exception {
    gate.open();
    try (ContextEngine one = open();
        ContextEngine two = open("index-2", MANUAL);
        ElasticServing aliases = new ElasticServing(config)) {
      one.ingest(connector, runbooks(6));
      String newModel = one.reembed(dir.resolve("tuned-1"), 0).finished().get(1, TimeUnit.MINUTES);
      String before = aliases();
      // A swap computed from the state before the switch (the old index serving) is refused by
      // the cluster as a whole: no second serving index, no lost rollback target.
      assertThatThrownBy(
              () ->
                  aliases.swap(
                      config.indexName("."),
                      config.indexName("models/reversed-tuned-1_1"),
                      ElasticServing.buildingAlias(config)))
          .isInstanceOf(ContextException.class)
          .hasMessageContaining("changed meanwhile");
      assertThat(aliases()).isEqualTo(before);
      // Replica 2 has not followed yet and rolls back from what it saw: it reads the alias first,
      // so it rolls back the model that serves now, not the one it saw.
      assertThat(two.modelId()).isNotEqualTo(newModel);
      two.rollback();
      assertThat(two.modelId()).isNotEqualTo(newModel);
      assertThat(aliases()).isNotEqualTo(before);
      TestUtils.waitForCondition(
          () -> one.modelId().equals(two.modelId()), Duration.ofSeconds(30), "replica 1 follows");
      // A non-admin may not take the model in service out (no model card: admin only).
      assertThatThrownBy(() -> one.rollback(alice, WriteAudit.NONE))
          .isInstanceOf(ModelDeniedException.class);
      assertThat(one.followServing()).isFalse();
    }
  }

  @Test
  void anAliasMovedToAnIndexOfAnotherModelOrOutsideThePrefixIsRefused() throws Exception {
    gate.open();
    try (ContextEngine one = open("index", MANUAL)) {
      one.ingest(connector, runbooks(30));
      String model = one.modelId();
      // An index of the prefix, its metadata naming a model that its model directory does not
      // load: following it would embed queries with one model against another's vectors.
      Path evilDir = dir.resolve("tuned-evil");
      ElasticIndex.open(
              config,
              cluster.dialect(),
              "models/evil",
              "not-reversed@1",
              evilDir.toString(),
              384,
              one.chunking(),
              one.policies().current().schema())
          .close();
      String evil = config.indexName("models/evil");
      moveServing(config.indexName("."), evil);
      assertThatThrownBy(one::followServing)
          .isInstanceOf(ContextException.class)
          .hasMessageContaining("holds vectors of model not-reversed@1");
      assertThat(one.modelId()).isEqualTo(model); // it keeps serving what it served
      assertThat(dense(one, "certificates expiring", new ArrayList<>()))
          .allMatch(ModelSwitchTest::aboutCertificates);
      assertThatThrownBy(() -> open("index-2", MANUAL))
          .as("a replica starting now refuses to serve it")
          .hasMessageContaining("holds vectors of model not-reversed@1");

      // An index outside the prefix (another application's) is never served either.
      http("PUT", "/" + config.indexPrefix() + "x-secrets", "{}");
      moveServing(evil, config.indexPrefix() + "x-secrets");
      assertThatThrownBy(one::followServing)
          .isInstanceOf(ContextException.class)
          .hasMessageContaining("not an Anvil chunk index");
      assertThat(one.modelId()).isEqualTo(model);
      // Nor counted by a policy diff, which reads the index the alias names.
      assertThatThrownBy(
              () ->
                  ServingIndexes.servingDir(
                      dir.resolve("index"), new IndexBackend.Cluster(cluster.dialect(), config)))
          .isInstanceOf(ContextException.class)
          .hasMessageContaining("not an Anvil chunk index");
    }
  }

  @Test
  void anIndexFromBeforeTheAliasIsNamedAndClaimedOnFirstStart() throws Exception {
    try (ContextEngine one = open("index", MANUAL)) {
      one.ingest(connector, runbooks(6));
    }
    // What an engine of the previous version left: no alias, no directory in the metadata.
    http(
        "POST",
        "/_aliases",
        "{\"actions\":[{\"remove\":{\"index\":\""
            + config.indexName(".")
            + "\",\"alias\":\""
            + ElasticServing.servingAlias(config)
            + "\"}}]}");
    http(
        "PUT",
        "/" + config.indexName(".") + "/_mapping",
        "{\"_meta\":{\"anvil.embedding-model\":\""
            + SharedEmbedder.get().modelId()
            + "\",\"anvil.chunking\":\""
            + ContextEngine.chunking(SharedEmbedder.get())
            + "\"}}");
    try (ContextEngine again = open("index-2", MANUAL)) {
      assertThat(again.chunkCount()).isEqualTo(6);
      assertThat(aliases()).isEqualTo("serving=. rollback=(none) building=(none)");
    }
  }

  private void moveServing(String from, String to) throws Exception {
    String alias = ElasticServing.servingAlias(config);
    http(
        "POST",
        "/_aliases",
        "{\"actions\":[{\"remove\":{\"index\":\""
            + from
            + "\",\"alias\":\""
            + alias
            + "\"}},{\"add\":{\"index\":\""
            + to
            + "\",\"alias\":\""
            + alias
            + "\"}}]}");
  }

  private int status(String method, String path) throws Exception {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client
          .send(
              HttpRequest.newBuilder(cluster.node().url().resolve(path))
                  .method(method, HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    }
  }

  private void http(String method, String path, String body) throws Exception {
    URI base = cluster.node().url();
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(base.resolve(path))
                  .method(method, HttpRequest.BodyPublishers.ofString(body))
                  .header("Content-Type", "application/json")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
    }
  }
}
