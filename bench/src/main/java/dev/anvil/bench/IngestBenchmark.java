package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * Ingest throughput: {@link ContextEngine#ingest} of 64 documents (validation, policy check,
 * chunking, embedding, Lucene upsert and a durable commit) against the embedder alone on exactly
 * the same chunk texts. Scores are batches per second; docs/benchmarks.md converts them to
 * chunks/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 10)
@Measurement(iterations = 3, time = 15)
@Fork(
    value = 1,
    jvmArgsAppend = {
      "--enable-native-access=ALL-UNNAMED",
      "--add-modules",
      "jdk.incubator.vector",
      "-Dai.djl.offline=true"
    })
public class IngestBenchmark {
  static final int DOCS = 64;

  private OnnxEmbedder embedder;
  private ContextEngine engine;
  private Principal connector;
  private List<Document> docs;
  private List<String> chunkTexts;
  private long version = 1;
  private Path dir;

  @Setup
  public void setup() throws Exception {
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    connector =
        PrincipalDirectory.load(pack.principalsFile()).find("kafka-connector").orElseThrow();
    embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1);
    dir = Files.createTempDirectory("anvil-ingest-bench");
    engine = ContextEngine.open(dir, PolicyStore.open(pack), embedder);
    List<String> sentences = EmbedderBenchmark.sentences(DOCS * 6, 11);
    docs = new ArrayList<>();
    Random r = new Random(3);
    for (int i = 0; i < DOCS; i++) {
      String body = String.join(" ", sentences.subList(i * 6, i * 6 + 6));
      docs.add(
          new Document(
              "d" + i,
              0,
              "Document " + i,
              body,
              "bench:" + i,
              Map.of(
                  "classification",
                  "internal",
                  "department",
                  List.of(r.nextBoolean() ? "engineering" : "hr"))));
    }
    int chunks = 0;
    for (IngestOutcome o : engine.ingest(connector, withVersion(version++))) {
      chunks += ((IngestOutcome.Indexed) o).chunks();
    }
    chunkTexts = new ArrayList<>();
    for (Document d : docs) {
      for (SearchHit h : engine.get(reader(), d.id())) {
        chunkTexts.add(d.title() + ". " + h.text());
      }
    }
    System.out.printf("%n%d documents = %d chunks per batch%n", DOCS, chunks);
  }

  /** A reader of every benchmark document (engineering and hr, internal). */
  private static Principal reader() {
    return new Principal(
        "bench-reader",
        java.util.Set.of("employee", "hr-comp-reader"),
        java.util.Set.of("engineering", "hr"),
        Principal.single(Map.of("clearance", "confidential", "location", "eu")));
  }

  private List<Document> withVersion(long v) {
    return docs.stream()
        .map(d -> new Document(d.id(), v, d.title(), d.body(), d.source(), d.tags()))
        .toList();
  }

  @TearDown
  public void tearDown() throws Exception {
    engine.close();
    embedder.close();
  }

  @Benchmark
  public List<IngestOutcome> engineIngest() {
    return engine.ingest(connector, withVersion(version++));
  }

  @Benchmark
  public float[][] embedderAlone() {
    return embedder.embedDocuments(chunkTexts);
  }
}
