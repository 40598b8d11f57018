package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.index.ChunkIndex;
import dev.anvil.context.index.elastic.ClusterDialect;
import dev.anvil.context.index.elastic.ClusterNode;
import dev.anvil.context.index.elastic.ElasticConfig;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.filter.Filter;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The corpus of {@link SearchBenchmark} (seed 42: 60 Zipf words, random tags of the example schema
 * and a random unit 384-d vector per chunk) written into the embedded Lucene index and into a real
 * Elasticsearch node on 127.0.0.1 (one index with 1 primary shard, one with 2, no replica), in the
 * same run on the same machine, then searched through the engine's own search path with only the
 * backend switched. Not JMH: the node is a separate process.
 *
 * <p>Indexing: chunks per second through the backend seam ({@link ChunkIndex#upsert}, a commit
 * every 20,000 and at the end), "committed" when the last commit returned and "settled" once the
 * index has no merge running (Lucene's writer closed; the cluster's merge count at 0), after an
 * unmeasured warm-up index of each kind (a tenth of the chunks, at most 5,000). Search: hybrid
 * (BM25 + kNN with the compiled policy filter inside both, RRF, a decision per hit), top 10, query
 * vectors precomputed (no embedding), one thread; for {@code alice} (her filter admits about a
 * fifth of the chunks) and for a principal whose filter admits everything. Rounds visit every
 * backend in turn, so that load from other processes falls on all of them alike; a warm-up pass
 * precedes them. The top-10 overlap with the embedded index says the backends answer the same
 * searches (HNSW is approximate on both, so not always the same ten).
 *
 * <pre>
 * java --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED \
 *     --add-modules jdk.incubator.vector -Xmx4g -Danvil.elasticsearch.heap=2g \
 *     -cp bench/target/benchmarks.jar dev.anvil.bench.ClusterSearchBenchmark [chunks] [queries] [shards] [rounds]
 * </pre>
 *
 * Defaults: 200000 chunks, 512 queries, shards {@code 1,2}, 2 rounds. Run from the repository root:
 * everything is written under {@code bench/target/cluster-search-<N>k} (the node under {@code
 * bench/target/elasticsearch}); the Elasticsearch zip is {@code -Danvil.elasticsearch.zip}, by
 * default the one version of it in {@code ~/.m2}.
 */
public final class ClusterSearchBenchmark {
  private static final String EVERYTHING_ROLE = "bench-reads-everything";

  private ClusterSearchBenchmark() {}

  /** One place the chunks live, with the engine's data directory for it. */
  private record Target(String name, IndexBackend backend, Path dataDir) {}

  /**
   * Indexing of one target: seconds since the first write until committed and until settled, and
   * the settled index's segments and bytes.
   */
  private record Indexing(double committed, double settled, int segments, long bytes) {}

  public static void main(String[] args) throws Exception {
    int chunks = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int queryCount = args.length > 1 ? Integer.parseInt(args[1]) : 512;
    List<Integer> shards =
        args.length > 2
            ? Arrays.stream(args[2].split(",")).map(Integer::valueOf).toList()
            : List.of(1, 2);
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    System.out.printf(
        "%d chunks, %d queries, shards %s, %d rounds; load average at start: %s%n",
        chunks, queryCount, shards, rounds, loadAverage());

    Path work = Path.of("bench/target/cluster-search-" + chunks / 1000 + "k").toAbsolutePath();
    PolicyPack pack = new PolicyPack(packWithAReaderOfEverything(work.resolve("pack")));
    PolicySet set = pack.load();
    Principal alice = PrincipalDirectory.load(pack.principalsFile()).find("alice").orElseThrow();
    Principal everything =
        new Principal(
            "bench-auditor",
            Set.of("employee", "hr-comp-reader", EVERYTHING_ROLE),
            Set.of("legal"),
            Map.of("clearance", List.of("restricted"), "location", List.of("eu")));
    if (!(set.compile(everything, Action.READ).filter() instanceof Filter.All)) {
      throw new IllegalStateException("the bench principal's filter should admit everything");
    }

    List<Target> targets = new ArrayList<>();
    targets.add(new Target("embedded Lucene", IndexBackend.embedded(), work.resolve("embedded")));
    ClusterNode node = BenchNode.start();
    for (int s : shards) {
      ElasticConfig config =
          new ElasticConfig(
              List.of(node.url()), Optional.empty(), Optional.empty(), "bench-" + s + "s-", s, 0);
      targets.add(
          new Target(
              "Elasticsearch, " + s + " shard" + (s == 1 ? "" : "s"),
              new IndexBackend.Cluster(ClusterDialect.ELASTICSEARCH, config),
              work.resolve("es-" + s)));
    }

    Map<String, float[]> vectors = new HashMap<>();
    List<String> queries = new ArrayList<>();
    Random q = new Random(7);
    for (int i = 0; i < queryCount; i++) {
      String text =
          SearchBenchmark.word(q) + " " + SearchBenchmark.word(q) + " " + SearchBenchmark.word(q);
      queries.add(text);
      vectors.put(text, SearchBenchmark.unit(q));
    }
    SearchBenchmark.LookupEmbedder embedder = new SearchBenchmark.LookupEmbedder(vectors);

    // Warm-up: the first writes of each process (this JVM's, the node's) pay for its JIT; a
    // throw-away index of each kind takes them, so that neither measured backend does.
    int warmup = Math.min(chunks / 10, 5_000);
    for (Target t :
        List.of(
            new Target("warm-up, embedded", IndexBackend.embedded(), work.resolve("warmup")),
            new Target(
                "warm-up, Elasticsearch",
                new IndexBackend.Cluster(
                    ClusterDialect.ELASTICSEARCH,
                    ElasticConfig.of(node.url()).withIndexPrefix("bench-warmup-")),
                work.resolve("warmup-es")))) {
      System.out.printf("%s (%d chunks, not measured)%n", t.name(), warmup);
      index(t, set, warmup, embedder, node.url());
      drop(t);
    }

    Map<Target, Indexing> indexing = new LinkedHashMap<>();
    for (Target t : targets) {
      System.out.printf("indexing into %s%n", t.name());
      indexing.put(t, index(t, set, chunks, embedder, node.url()));
    }

    Map<String, Principal> principals = new LinkedHashMap<>();
    principals.put("alice", alice);
    principals.put("sees everything", everything);
    Map<Target, ContextEngine> engines = new LinkedHashMap<>();
    try {
      for (Target t : targets) {
        engines.put(
            t,
            ContextEngine.open(
                t.dataDir(),
                t.backend(),
                PolicyStore.open(pack),
                embedder,
                dir -> {
                  throw new ContextException("no model switch in this benchmark");
                },
                ModelRegistry.none(),
                OpenTelemetry.noop()));
      }
      search(engines, principals, queries, rounds, indexing, chunks);
    } finally {
      for (ContextEngine e : engines.values()) {
        e.close();
      }
    }
    System.out.printf("load average at the end: %s%n", loadAverage());
  }

  /** The index of {@code t}'s data directory, for the benchmark's model. */
  private static ChunkIndex open(Target t, PolicySet set, SearchBenchmark.LookupEmbedder embedder) {
    return t.backend()
        .open(
            t.dataDir(),
            ".",
            SearchBenchmark.MODEL,
            null, // the model the engine opens with
            SearchBenchmark.DIM,
            ContextEngine.chunking(embedder),
            set.schema());
  }

  /** Writes the corpus into a fresh index of {@code t}. */
  private static Indexing index(
      Target t, PolicySet set, int chunks, SearchBenchmark.LookupEmbedder embedder, URI node)
      throws Exception {
    // A fresh index, and a fresh data directory (serving.json of an earlier run).
    drop(t);
    Files.createDirectories(t.dataDir());
    long t0 = System.nanoTime();
    long committed;
    try (ChunkIndex index = open(t, set, embedder)) {
      SearchBenchmark.corpus(set, chunks, new Random(42), index, t0);
      committed = System.nanoTime();
    }
    // Lucene's writer waits for its merges on close; the cluster merges on its own.
    if (t.backend() instanceof IndexBackend.Cluster es) {
      BenchNode.awaitNoMerges(node, es.config().indexName("."));
    }
    long settled = System.nanoTime();
    ChunkIndex.Stats stats;
    try (ChunkIndex index = open(t, set, embedder)) {
      stats = index.stats();
    }
    Indexing result =
        new Indexing((committed - t0) / 1e9, (settled - t0) / 1e9, stats.segments(), stats.bytes());
    System.out.printf(
        "  %s: committed after %.1f s (%.0f chunks/s), settled after %.1f s (%.0f chunks/s)%n",
        t.name(),
        result.committed(),
        chunks / result.committed(),
        result.settled(),
        chunks / result.settled());
    return result;
  }

  /** Deletes the target's index and its data directory. */
  private static void drop(Target t) throws IOException {
    t.backend().drop(t.dataDir(), "."); // embedded: the data directory itself
    if (Files.exists(t.dataDir())) { // a cluster's: what the engine keeps beside its index
      try (Stream<Path> paths = Files.walk(t.dataDir())) {
        for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static void search(
      Map<Target, ContextEngine> engines,
      Map<String, Principal> principals,
      List<String> queries,
      int rounds,
      Map<Target, Indexing> indexing,
      int chunks) {
    Map<String, List<Long>> nanos = new LinkedHashMap<>();
    Map<String, List<List<String>>> top = new HashMap<>();
    Map<String, Long> visible = new HashMap<>();
    // Warm-up: a pass of every backend and principal, not measured.
    for (ContextEngine engine : engines.values()) {
      for (Principal p : principals.values()) {
        for (String query : queries.subList(0, Math.min(200, queries.size()))) {
          engine.search(p, request(query));
        }
      }
    }
    for (int round = 0; round < rounds; round++) {
      for (var e : engines.entrySet()) {
        for (var p : principals.entrySet()) {
          String key = e.getKey().name() + " | " + p.getKey();
          List<Long> samples = nanos.computeIfAbsent(key, k -> new ArrayList<>());
          List<List<String>> ids = top.computeIfAbsent(key, k -> new ArrayList<>());
          for (String query : queries) {
            long t0 = System.nanoTime();
            SearchResponse r = e.getValue().search(p.getValue(), request(query));
            samples.add(System.nanoTime() - t0);
            if (round == 0) {
              ids.add(r.hits().stream().map(SearchHit::documentId).toList());
              visible.merge(key, r.visibleMatches(), Long::sum);
            }
          }
        }
      }
      System.out.printf("search round %d done; load average %s%n", round + 1, loadAverage());
    }

    Target embedded = engines.keySet().iterator().next();
    Indexing base = indexing.get(embedded);
    // Which retriever the backends disagree on: each alone, on the first 128 queries.
    Map<String, Double> modeOverlap = new LinkedHashMap<>();
    List<String> some = queries.subList(0, Math.min(128, queries.size()));
    for (SearchRequest.Mode mode : List.of(SearchRequest.Mode.BM25, SearchRequest.Mode.DENSE)) {
      for (var p : principals.entrySet()) {
        List<List<String>> reference = ids(engines.get(embedded), p.getValue(), some, mode);
        for (var e : engines.entrySet()) {
          if (e.getKey() != embedded) {
            modeOverlap.put(
                e.getKey().name() + " | " + p.getKey() + " | " + mode,
                overlap(ids(e.getValue(), p.getValue(), some, mode), reference));
          }
        }
      }
    }
    System.out.println();
    System.out.println(
        "| backend | chunks/s, committed | chunks/s, settled | vs embedded (settled) | segments"
            + " | MiB |");
    System.out.println("| --- | --- | --- | --- | --- | --- |");
    for (var e : indexing.entrySet()) {
      System.out.printf(
          "| %s | %.0f | %.0f | %.2f | %d | %d |%n",
          e.getKey().name(),
          chunks / e.getValue().committed(),
          chunks / e.getValue().settled(),
          base.settled() / e.getValue().settled(),
          e.getValue().segments(),
          e.getValue().bytes() >> 20);
    }
    System.out.println();
    System.out.println(
        "| backend | principal | p50 ms | p99 ms | mean ms | p50 vs embedded | p99 vs embedded"
            + " | top-10 overlap with embedded | mean visible matches |");
    System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (var e : nanos.entrySet()) {
      String principal = e.getKey().substring(e.getKey().indexOf(" | ") + 3);
      String baseKey = embedded.name() + " | " + principal;
      long[] s = sorted(e.getValue());
      long[] b = sorted(nanos.get(baseKey));
      System.out.printf(
          "| %s | %.1f | %.1f | %.1f | %.2f | %.2f | %.2f | %.0f |%n",
          e.getKey(),
          ms(percentile(s, 0.50)),
          ms(percentile(s, 0.99)),
          ms((long) Arrays.stream(s).average().orElse(0)),
          (double) percentile(s, 0.50) / percentile(b, 0.50),
          (double) percentile(s, 0.99) / percentile(b, 0.99),
          overlap(top.get(e.getKey()), top.get(baseKey)),
          (double) visible.get(e.getKey()) / queries.size());
    }
    System.out.println();
    System.out.println("| backend | principal | retriever alone | top-10 overlap with embedded |");
    System.out.println("| --- | --- | --- | --- |");
    modeOverlap.forEach((k, v) -> System.out.printf("| %s | %.2f |%n", k, v));
  }

  private static List<List<String>> ids(
      ContextEngine engine, Principal p, List<String> queries, SearchRequest.Mode mode) {
    List<List<String>> out = new ArrayList<>();
    for (String query : queries) {
      out.add(
          engine
              .search(p, new SearchRequest(query, SearchBenchmark.TOP_K, 0, Map.of(), mode))
              .hits()
              .stream()
              .map(SearchHit::documentId)
              .toList());
    }
    return out;
  }

  private static SearchRequest request(String query) {
    return new SearchRequest(query, SearchBenchmark.TOP_K, 0, Map.of(), SearchRequest.Mode.HYBRID);
  }

  /** Mean share of one list's ids found in the other's, query by query. */
  private static double overlap(List<List<String>> a, List<List<String>> b) {
    double sum = 0;
    for (int i = 0; i < a.size(); i++) {
      Set<String> other = new HashSet<>(b.get(i));
      long same = a.get(i).stream().filter(other::contains).count();
      sum += a.get(i).isEmpty() ? 1 : (double) same / a.get(i).size();
    }
    return sum / a.size();
  }

  private static long[] sorted(List<Long> samples) {
    return samples.stream().mapToLong(Long::longValue).sorted().toArray();
  }

  private static long percentile(long[] sorted, double p) {
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  /**
   * A copy of the example pack with one more policy: a reader of everything (the role {@value
   * #EVERYTHING_ROLE}), so that one principal's compiled filter admits every chunk.
   */
  private static Path packWithAReaderOfEverything(Path dir) throws IOException {
    Path example = PolicyBenchmark.findExamplePack();
    Files.createDirectories(dir.resolve("policies"));
    Files.copy(
        example.resolve("schema.yaml"),
        dir.resolve("schema.yaml"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.copy(
        example.resolve("principals.yaml"),
        dir.resolve("principals.yaml"),
        StandardCopyOption.REPLACE_EXISTING);
    try (Stream<Path> policies = Files.list(example.resolve("policies"))) {
      for (Path p : policies.toList()) {
        Files.copy(
            p,
            dir.resolve("policies").resolve(p.getFileName().toString()),
            StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.writeString(
        dir.resolve("policies/99-bench-reads-everything.yaml"),
        """
        - id: bench-reads-everything
          effect: allow
          actions: [read]
          description: ClusterSearchBenchmark only, a principal whose filter admits every chunk.
          when: "'%s' in principal.roles"
        """
            .formatted(EVERYTHING_ROLE));
    return dir;
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
