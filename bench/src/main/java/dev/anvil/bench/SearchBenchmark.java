package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.embed.InputType;
import dev.anvil.context.index.ChunkIndex;
import dev.anvil.context.index.LuceneFilters;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.schema.DocTags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.FSDirectory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Search latency at 200,000 chunks: the engine (compiled policy filter inside BM25 and kNN, RRF,
 * stored fields, a {@code decide} per hit) against raw Lucene running the same BM25 + kNN with the
 * same filter query and the same fusion by hand, and raw Lucene without any filter.
 *
 * <p>The corpus is synthetic and reproducible (seed 42): Zipf-distributed words, random unit 384-d
 * vectors, random tags of the example schema. Query vectors are precomputed and handed to the
 * engine through a lookup {@link Embedder}, so embedding cost (measured by {@link
 * EmbedderBenchmark}) is not part of these numbers. The index is built once under {@code
 * bench/target/search-200k}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 10)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--enable-native-access=ALL-UNNAMED",
      "--add-modules",
      "jdk.incubator.vector",
      "-Xmx6g"
    })
public class SearchBenchmark {
  static final int CHUNKS = Integer.getInteger("anvil.bench.chunks", 200_000);
  static final int DIM = 384;
  static final int TOP_K = 10;
  static final int CANDIDATES = 100;
  static final String MODEL = "synthetic-384";

  private ContextEngine engine;
  private DirectoryReader rawReader;
  private IndexSearcher rawSearcher;
  private Principal alice;
  private Query aliceFilter;
  private final List<String> queries = new ArrayList<>();
  private final Map<String, float[]> vectors = new HashMap<>();
  private int next;

  @Setup
  public void setup() throws Exception {
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    PolicySet set = pack.load();
    Path dir = Path.of("bench/target/search-" + CHUNKS / 1000 + "k");
    Random r = new Random(42);
    if (!Files.exists(dir.resolve("done"))) {
      build(dir, set, r);
    }
    Random q = new Random(7);
    for (int i = 0; i < 512; i++) {
      String text = word(q) + " " + word(q) + " " + word(q);
      queries.add(text);
      vectors.put(text, unit(q));
    }
    alice = PrincipalDirectory.load(pack.principalsFile()).find("alice").orElseThrow();
    engine = ContextEngine.open(dir, PolicyStore.open(pack), new LookupEmbedder(vectors));
    // Raw Lucene reads the same committed index through a reader of its own.
    rawReader = DirectoryReader.open(FSDirectory.open(dir));
    rawSearcher = new IndexSearcher(rawReader);
    aliceFilter = LuceneFilters.toQuery(set.compile(alice, Action.READ).filter());
  }

  @TearDown
  public void tearDown() throws java.io.IOException {
    rawReader.close();
    engine.close();
  }

  private String nextQuery() {
    return queries.get(next++ & 511);
  }

  @Benchmark
  public SearchResponse engineSelectivePolicy() {
    return engine.search(
        alice, new SearchRequest(nextQuery(), TOP_K, 0, Map.of(), SearchRequest.Mode.HYBRID));
  }

  @Benchmark
  public List<org.apache.lucene.document.Document> rawLuceneSameFilter() {
    return raw(nextQuery(), aliceFilter);
  }

  @Benchmark
  public List<org.apache.lucene.document.Document> rawLuceneNoFilter() {
    return raw(nextQuery(), null);
  }

  private List<org.apache.lucene.document.Document> raw(String text, Query filter) {
    return RawHybrid.search(rawSearcher, text, vectors.get(text), filter, CANDIDATES, TOP_K);
  }

  private static void build(Path dir, PolicySet set, Random r) throws Exception {
    long t0 = System.nanoTime();
    try (LuceneIndex index =
        LuceneIndex.open(dir, MODEL, ContextEngine.chunking(new LookupEmbedder(Map.of())))) {
      corpus(set, CHUNKS, r, index, t0);
    }
    Files.writeString(
        dir.resolve("done"), "built in " + (System.nanoTime() - t0) / 1_000_000_000 + " s\n");
  }

  /**
   * Writes the synthetic corpus into {@code index}: {@code chunks} documents of one chunk each (60
   * Zipf words, random tags of the example schema, a random unit vector), committed every 20,000
   * and at the end. With {@code r} seeded 42 it is the corpus these benchmarks report on, whatever
   * the backend.
   */
  static void corpus(PolicySet set, int chunks, Random r, ChunkIndex index, long t0) {
    for (int i = 0; i < chunks; i++) {
      Map<String, Object> raw = randomTags(set, r);
      StringBuilder text = new StringBuilder();
      for (int w = 0; w < 60; w++) {
        text.append(word(r)).append(' ');
      }
      DocTags tags = set.schema().validate(raw);
      index.upsert(
          new Document("d" + i, 1, "Doc " + i, text.toString(), "synthetic:" + i, raw),
          tags,
          List.of(text.toString()),
          new int[] {60},
          new float[][] {unit(r)});
      if (i % 20_000 == 19_999) {
        index.commit();
        System.out.printf(
            "indexed %d chunks, %.0f/s%n", i + 1, (i + 1) / ((System.nanoTime() - t0) / 1e9));
      }
    }
    index.commit();
  }

  static Map<String, Object> randomTags(PolicySet set, Random r) {
    Map<String, Object> raw = new HashMap<>();
    raw.put(
        "classification",
        List.of("public", "internal", "confidential", "restricted").get(r.nextInt(4)));
    List<String> depts = List.of("engineering", "hr", "finance", "legal", "sales", "all-staff");
    raw.put("department", List.of(depts.get(r.nextInt(depts.size()))));
    if (r.nextInt(4) == 0) {
      raw.put(
          "topics",
          List.of(
              List.of("compensation", "roadmap", "incident", "pricing", "litigation")
                  .get(r.nextInt(5))));
    }
    if (r.nextInt(3) == 0) {
      raw.put("owner", List.of("alice", "bob", "carl", "dana").get(r.nextInt(4)));
    }
    return raw;
  }

  /** A word from a Zipf-like distribution over 20,000 synthetic words. */
  static String word(Random r) {
    int rank = (int) Math.floor(Math.pow(20_000, r.nextDouble()));
    return "w" + Integer.toString(rank, 36);
  }

  static float[] unit(Random r) {
    return HashEmbedder.unit(r, DIM);
  }

  /** Hands the engine precomputed query vectors, so only the search path is timed. */
  record LookupEmbedder(Map<String, float[]> vectors) implements Embedder {
    @Override
    public String modelId() {
      return MODEL;
    }

    @Override
    public int dimension() {
      return DIM;
    }

    @Override
    public int maxTokens() {
      return 256;
    }

    @Override
    public int countTokens(String text) {
      return text.split(" ").length;
    }

    @Override
    public float[][] embed(InputType type, List<String> texts) {
      return texts.stream().map(vectors::get).toArray(float[][]::new);
    }

    @Override
    public void close() {}
  }
}
