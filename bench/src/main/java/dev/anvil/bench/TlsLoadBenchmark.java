package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.ContextServer;
import dev.anvil.context.grpc.v1.SearchRequest;
import dev.anvil.context.grpc.v1.SearchResponse;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.eval.BeirDataset;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rpc.ClientTransport;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.rpc.TestCertificates;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sustained hybrid search over TLS, every part real and on 127.0.0.1: the context engine serving
 * gRPC over TLS with a certificate made for the run, each query embedded by all-MiniLM-L6-v2 (ONNX
 * Runtime) on the server, clients verifying the certificate. Reports QPS, p50/p99 and errors
 * against the embedder's own single-query rate on the same cores (the better of 1 and all ONNX
 * threads), checks every response for a chunk its caller may not see (half the corpus is HR's,
 * hidden from the caller), then runs the same while 8 clients stream oversized documents (refused),
 * and while 8 clients stream large valid documents (indexed).
 *
 * <p>The server embeds queries with {@code ENGINE_THREADS} ONNX threads (1, the chart's default:
 * concurrent searches then each use one core instead of contending for all).
 *
 * <p>The corpus is SciFact's abstracts and the queries its training queries (real text: a made-up
 * vocabulary makes every query match every document, which no real corpus does).
 *
 * <p>Not JMH: a whole-system run. {@code java ... -cp bench/target/benchmarks.jar
 * dev.anvil.bench.TlsLoadBenchmark [SECONDS_PER_PHASE] [CLIENTS] [DOCS] [ENGINE_THREADS] [BEIR_DIR]
 * [INDEX_DIR]}.
 */
public final class TlsLoadBenchmark {
  private TlsLoadBenchmark() {}

  /** What one phase measured. */
  record Result(long calls, long errors, long leaks, double seconds, long[] micros) {
    double qps() {
      return calls / seconds;
    }

    double percentile(double p) {
      if (micros.length == 0) {
        return Double.NaN;
      }
      return micros[Math.min(micros.length - 1, (int) Math.ceil(p * micros.length) - 1)] / 1000.0;
    }
  }

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 180;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int docs = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    PrincipalDirectory people = PrincipalDirectory.load(pack.principalsFile());
    Principal alice = people.find("alice").orElseThrow();
    Principal connector = people.find("kafka-connector").orElseThrow();
    Path work = Files.createTempDirectory("anvil-tls-load");
    TestCertificates.Ca ca = TestCertificates.ca(work, "bench-ca");
    TestCertificates.Leaf cert = ca.server(work, "engine");
    Path beir = Path.of(args.length > 4 ? args[4] : "../shared/data/beir/scifact");
    // Real text: SciFact's abstracts and its training queries (the test split stays unseen).
    BeirDataset scifact = BeirDataset.load(beir, "train");
    List<String> queries = List.copyOf(scifact.queries().values());
    int engineThreads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
    // An index an earlier run (or SearchCost) made of the same corpus is searched as it is; the
    // floods add to it, so give each run a fresh copy.
    Path index = args.length > 5 ? Path.of(args[5]) : work.resolve("index");
    boolean reuse = Files.isDirectory(index);
    int cores = Runtime.getRuntime().availableProcessors();
    try (OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), engineThreads);
        ContextEngine engine = ContextEngine.open(index, PolicyStore.open(pack), embedder);
        AuditLog audit = AuditLog.open(work.resolve("audit.jsonl"))) {
      List<Document> corpus = reuse ? List.of() : corpus(scifact, docs);
      long t = System.nanoTime();
      for (int i = 0; i < corpus.size(); i += 64) {
        engine.ingest(connector, corpus.subList(i, Math.min(corpus.size(), i + 64)));
      }
      System.out.printf(
          "indexed %d documents (%d chunks) in %.0f s%n",
          docs, engine.chunkCount(), (System.nanoTime() - t) / 1e9);

      // The baseline at its best: one query at a time, with 1 ONNX thread or with all cores.
      double single = 0;
      for (int threads : new int[] {1, cores}) {
        try (OnnxEmbedder alone = OnnxEmbedder.open(ModelSource.packagedMiniLm(), threads)) {
          double rate =
              singleQueryRate(alone, queries, Duration.ofSeconds(Math.min(60, seconds) / 2));
          System.out.printf(
              "all-MiniLM-L6-v2 alone, one query at a time, %d ONNX threads: %.1f queries/s%n",
              threads, rate);
          single = Math.max(single, rate);
        }
      }

      DevTokenIssuer issuer =
          DevTokenIssuer.openOrCreate(work.resolve("key.json"), Clock.systemUTC());
      // The load is one caller's: lift its rate limit, keep every other limit at its default.
      Limits limits = Limits.DEFAULTS.withCallerRate(1e9, 1_000_000);
      try (GrpcServer server =
          ContextServer.start(
              "127.0.0.1",
              0,
              ServerTransport.Tls.of(cert.certFile(), cert.keyFile()),
              engine,
              issuer.verifier(),
              audit,
              limits,
              OpenTelemetry.noop())) {
        String token = issuer.mint(alice, "load-test", Duration.ofHours(1));
        ClientTransport tls = ClientTransport.Tls.trusting(ca.pem());
        Result warm =
            searchLoad(server, tls, token, queries, clients, 15, Flood.NONE, issuer, connector);
        System.out.printf("warm-up: %.1f QPS%n", warm.qps());
        Result plain =
            searchLoad(
                server, tls, token, queries, clients, seconds, Flood.NONE, issuer, connector);
        report("hybrid search over TLS", plain, single);
        Result refused =
            searchLoad(
                server, tls, token, queries, clients, seconds, Flood.OVERSIZED, issuer, connector);
        report("the same, 8 clients streaming oversized documents (refused)", refused, single);
        Result indexed =
            searchLoad(
                server, tls, token, queries, clients, seconds, Flood.LARGE, issuer, connector);
        report("the same, 8 clients streaming large valid documents (indexed)", indexed, single);
        System.out.printf("chunks indexed by the flood: %d%n", engine.chunkCount());
        System.out.printf(
            "heap after: %d MiB used of %d MiB%n",
            (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20,
            Runtime.getRuntime().maxMemory() >> 20);
      }
    }
  }

  static void report(String what, Result r, double single) {
    System.out.printf(
        "%s: %d searches in %.0f s = %.1f QPS (%.2f x the embedder alone), p50 %.1f ms, p99 %.1f"
            + " ms, %d errors, %d leaks%n",
        what,
        r.calls(),
        r.seconds(),
        r.qps(),
        r.qps() / single,
        r.percentile(0.50),
        r.percentile(0.99),
        r.errors(),
        r.leaks());
  }

  /**
   * The first {@code n} abstracts of SciFact: half tagged as engineering's internal notes (alice
   * reads them), half as HR's confidential ones (she does not).
   */
  static List<Document> corpus(BeirDataset scifact, int n) {
    List<Document> docs = new ArrayList<>(n);
    for (int i = 0; i < Math.min(n, scifact.corpus().size()); i++) {
      BeirDataset.Doc d = scifact.corpus().get(i);
      boolean hr = i % 2 == 1;
      docs.add(
          new Document(
              (hr ? "hr-" : "eng-") + d.id(),
              1,
              d.title(),
              d.text(),
              "scifact:" + d.id(),
              hr
                  ? Map.of("classification", "confidential", "department", List.of("hr"))
                  : Map.of("classification", "internal", "department", List.of("engineering"))));
    }
    return docs;
  }

  /** About {@code chars} characters of sentences. */
  static String prose(int chars) {
    StringBuilder sb = new StringBuilder();
    for (String sentence : EmbedderBenchmark.sentences(chars / 20, 5)) {
      if (sb.length() >= chars) {
        break;
      }
      sb.append(sentence).append(' ');
    }
    return sb.toString();
  }

  /** What 8 extra clients stream while the searches run. */
  enum Flood {
    NONE,
    OVERSIZED,
    LARGE
  }

  static double singleQueryRate(OnnxEmbedder embedder, List<String> queries, Duration d) {
    for (int i = 0; i < 20; i++) {
      embedder.embedQuery(queries.get(i));
    }
    long end = System.nanoTime() + d.toNanos();
    long t = System.nanoTime();
    int n = 0;
    while (System.nanoTime() < end) {
      embedder.embedQuery(queries.get(n++ % queries.size()));
    }
    return n / ((System.nanoTime() - t) / 1e9);
  }

  static Result searchLoad(
      GrpcServer server,
      ClientTransport tls,
      String token,
      List<String> queries,
      int clients,
      int seconds,
      Flood flood,
      DevTokenIssuer issuer,
      Principal connector)
      throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong errors = new AtomicLong();
    AtomicLong leaks = new AtomicLong();
    List<long[]> perClient = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(clients + 8);
    List<Future<Integer>> searchers = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < clients; c++) {
      long[] micros = new long[2_000_000];
      perClient.add(micros);
      int offset = c * 97;
      searchers.add(
          pool.submit(
              () -> {
                int n = 0;
                try (ContextClient client =
                    ContextClient.connect(
                        "127.0.0.1", server.port(), tls, () -> token, Duration.ofSeconds(30))) {
                  while (!stop.get() && n < micros.length) {
                    long t = System.nanoTime();
                    try {
                      SearchResponse r =
                          client.search(
                              SearchRequest.newBuilder()
                                  .setQuery(queries.get((offset + n) % queries.size()))
                                  .setTopK(10)
                                  .build());
                      micros[n++] = (System.nanoTime() - t) / 1000;
                      for (var chunk : r.getChunksList()) {
                        TagValues dept = chunk.getTagsMap().get("department");
                        if (dept == null || dept.getValuesList().contains("hr")) {
                          leaks.incrementAndGet();
                        }
                      }
                    } catch (RuntimeException e) {
                      errors.incrementAndGet();
                    }
                  }
                }
                return n;
              }));
    }
    List<Future<?>> ingesters = new ArrayList<>();
    if (flood != Flood.NONE) {
      // OVERSIZED: past the largest body, each document crosses TLS and is parsed, then refused.
      // LARGE: 200,000 characters of sentences, chunked, embedded and indexed.
      String huge =
          flood == Flood.OVERSIZED
              ? "x ".repeat(Document.MAX_BODY_LENGTH / 2 + 1_000)
              : prose(200_000);
      String writer = issuer.mint(connector, "flood", Duration.ofHours(1));
      for (int i = 0; i < 8; i++) {
        int w = i;
        ingesters.add(
            pool.submit(
                () -> {
                  try (ContextClient client =
                      ContextClient.connect(
                          "127.0.0.1", server.port(), tls, () -> writer, Duration.ofSeconds(60))) {
                    for (int k = 0; !stop.get(); k++) {
                      List<dev.anvil.context.grpc.v1.Document> batch = new ArrayList<>();
                      for (int j = 0; j < 4; j++) {
                        batch.add(
                            dev.anvil.context.grpc.v1.Document.newBuilder()
                                .setId("flood-" + w + "-" + k + "-" + j)
                                .setVersion(1)
                                .setBody(huge)
                                .putTags(
                                    "classification",
                                    TagValues.newBuilder().addValues("internal").build())
                                .putTags(
                                    "department",
                                    TagValues.newBuilder().addValues("engineering").build())
                                .build());
                      }
                      try {
                        client.ingest(batch).get();
                      } catch (Exception e) {
                        // refused (too large, or the server busy): the load goes on
                      }
                    }
                  }
                  return null;
                }));
      }
    }
    Thread.sleep(seconds * 1000L);
    stop.set(true);
    long calls = 0;
    List<Long> all = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int n = searchers.get(c).get();
      calls += n;
      for (int i = 0; i < n; i++) {
        all.add(perClient.get(c)[i]);
      }
    }
    for (Future<?> f : ingesters) {
      f.get();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    pool.shutdown();
    long[] sorted = all.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(sorted);
    return new Result(calls, errors.get(), leaks.get(), elapsed, sorted);
  }
}
