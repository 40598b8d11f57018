package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.ingest.kafka.DocumentProducer;
import dev.anvil.context.ingest.kafka.DocumentRecord;
import dev.anvil.context.ingest.kafka.KafkaIngestor;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Documents per second through Kafka (records already in the topic: consume, validate, embed,
 * index, dead-letter check, checkpoint commit, offset commit) against direct ingest of the same
 * documents ({@link ContextEngine#ingest} in batches of the same size), in the same run, on a real
 * broker on 127.0.0.1. Rounds alternate the order. Two embedders: the real all-MiniLM-L6-v2 (what
 * users see) and a hash-seeded one, which leaves only the pipeline (Kafka, validation, policy,
 * Lucene) to measure.
 *
 * <p>{@code java --sun-misc-unsafe-memory-access=allow -cp bench/target/benchmarks.jar
 * dev.anvil.bench.KafkaIngestBenchmark [hash-docs] [minilm-docs] [rounds]} (defaults 10000, 1000,
 * 3; each embedder first runs one unmeasured warm-up round of a quarter of its documents).
 */
public final class KafkaIngestBenchmark {
  static final int BATCH = 128;

  private KafkaIngestBenchmark() {}

  public static void main(String[] args) throws Exception {
    int hashDocs = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int onnxDocs = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    Principal connector =
        PrincipalDirectory.load(pack.principalsFile()).find("kafka-connector").orElseThrow();
    Path work = Files.createTempDirectory("anvil-kafka-bench");
    try (LocalKafka kafka = LocalKafka.start(work.resolve("kafka"), 0);
        OnnxEmbedder onnx = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 2)) {
      Map<String, Object> client = Map.of("bootstrap.servers", kafka.bootstrapServers());
      for (Embedder embedder : List.of(HashEmbedder.of("hash-vector", SearchBenchmark.DIM), onnx)) {
        int n = embedder == onnx ? onnxDocs : hashDocs;
        if (n == 0) {
          continue;
        }
        List<Document> docs = documents(n);
        List<Document> warmup = docs.subList(0, n / 4);
        String w = embedder.modelId().replaceAll("[^a-z0-9]", "") + "-warmup";
        direct(work.resolve("direct-" + w), pack, embedder, connector, warmup);
        produce(client, "docs-" + w, warmup);
        consume(client, "docs-" + w, work.resolve("kafka-" + w), pack, embedder, connector, n / 4);
        double[] direct = new double[rounds];
        double[] viaKafka = new double[rounds];
        double[] produce = new double[rounds];
        for (int r = 0; r < rounds; r++) {
          String run = embedder.modelId().replaceAll("[^a-z0-9]", "") + "-" + r;
          Path index = work.resolve("direct-" + run);
          if (r % 2 == 0) {
            direct[r] = direct(index, pack, embedder, connector, docs);
          }
          String topic = "docs-" + run;
          produce[r] = produce(client, topic, docs);
          viaKafka[r] =
              consume(client, topic, work.resolve("kafka-" + run), pack, embedder, connector, n);
          if (r % 2 == 1) {
            direct[r] = direct(index, pack, embedder, connector, docs);
          }
          System.out.printf(
              "%-34s %d docs, round %d: direct %7.1f docs/s, through Kafka %7.1f docs/s (produce"
                  + " %8.1f/s)%n",
              embedder.modelId(), n, r + 1, direct[r], viaKafka[r], produce[r]);
        }
        double dm = median(direct);
        double km = median(viaKafka);
        System.out.printf(
            "%-34s median: direct %.1f docs/s, through Kafka %.1f docs/s: Kafka/direct = %.2f%n%n",
            embedder.modelId(), dm, km, km / dm);
      }
    }
  }

  static List<Document> documents(int n) {
    List<String> sentences = EmbedderBenchmark.sentences(n * 3, 17);
    List<Document> docs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      docs.add(
          new Document(
              "d" + i,
              1,
              "Document " + i,
              String.join(" ", sentences.subList(i * 3, i * 3 + 3)),
              "bench:" + i,
              Map.of("classification", "internal", "department", List.of("engineering"))));
    }
    return docs;
  }

  private static double direct(
      Path index, PolicyPack pack, Embedder embedder, Principal connector, List<Document> docs) {
    try (ContextEngine engine = ContextEngine.open(index, PolicyStore.open(pack), embedder)) {
      long t = System.nanoTime();
      for (int i = 0; i < docs.size(); i += BATCH) {
        engine.ingest(connector, docs.subList(i, Math.min(docs.size(), i + BATCH)));
      }
      return docs.size() / ((System.nanoTime() - t) / 1e9);
    }
  }

  private static double produce(Map<String, Object> client, String topic, List<Document> docs)
      throws Exception {
    try (Admin admin = Admin.create(client)) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.of(3), Optional.empty())))
          .all()
          .get();
    }
    long t = System.nanoTime();
    try (DocumentProducer p = new DocumentProducer(client, topic)) {
      for (Document d : docs) {
        p.send(new DocumentRecord.Upsert(d));
      }
      p.flush();
    }
    return docs.size() / ((System.nanoTime() - t) / 1e9);
  }

  private static double consume(
      Map<String, Object> client,
      String topic,
      Path index,
      PolicyPack pack,
      Embedder embedder,
      Principal connector,
      int n)
      throws InterruptedException {
    try (ContextEngine engine = ContextEngine.open(index, PolicyStore.open(pack), embedder)) {
      long t = System.nanoTime();
      try (KafkaIngestor ingestor =
          KafkaIngestor.start(
              engine,
              new KafkaIngestor.Config(client, topic, topic + ".dlq", "bench-" + topic, BATCH),
              connector,
              OpenTelemetry.noop())) {
        long first = 0;
        while (ingestor.stats().indexed() < n) {
          if (first == 0 && ingestor.stats().indexed() > 0) {
            first = System.nanoTime();
          }
          Thread.sleep(5);
        }
        long end = System.nanoTime();
        System.out.printf(
            "    through Kafka: %.2f s to the first indexed batch, %.2f s in all%n",
            (first - t) / 1e9, (end - t) / 1e9);
        return n / ((end - t) / 1e9);
      }
    }
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
