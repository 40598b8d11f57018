package dev.anvil.bench;

import com.google.gson.JsonParser;
import dev.anvil.context.index.elastic.ClusterNode;
import dev.anvil.context.index.elastic.ElasticNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real Elasticsearch node for a benchmark: the tests' {@link ElasticNode} (the Maven zip, run on
 * 127.0.0.1), found and sized for a benchmark run from the repository root.
 */
final class BenchNode {
  private BenchNode() {}

  /**
   * The node from the Maven zip, as the tests start it: 127.0.0.1 only, security off (loopback
   * only); its heap is {@code -Danvil.elasticsearch.heap} (default here 2g).
   */
  static ClusterNode start() throws IOException {
    if (System.getProperty("anvil.elasticsearch.zip") == null) {
      Path versions =
          Path.of(
              System.getProperty("user.home"),
              ".m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch");
      List<Path> zips;
      try (Stream<Path> files = Files.walk(versions, 2)) {
        zips = files.filter(f -> f.toString().endsWith(".zip")).toList();
      }
      if (zips.size() != 1) {
        throw new IllegalStateException(
            "found "
                + zips
                + " under "
                + versions
                + ": name the Elasticsearch zip with -Danvil.elasticsearch.zip=FILE");
      }
      System.setProperty("anvil.elasticsearch.zip", zips.getFirst().toString());
    }
    if (System.getProperty("anvil.elasticsearch.heap") == null) {
      System.setProperty("anvil.elasticsearch.heap", "2g");
    }
    if (System.getProperty("anvil.node.dir") == null) {
      System.setProperty("anvil.node.dir", "bench/target");
    }
    long t0 = System.nanoTime();
    ClusterNode node = ElasticNode.shared();
    System.out.printf(
        "Elasticsearch (%s, heap %s) answered at %s after %.1f s%n",
        Path.of(System.getProperty("anvil.elasticsearch.zip")).getFileName(),
        System.getProperty("anvil.elasticsearch.heap"),
        node.url(),
        (System.nanoTime() - t0) / 1e9);
    return node;
  }

  /** Waits until the cluster runs no merge on {@code index}. */
  static void awaitNoMerges(URI node, String index) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      while (true) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(node.resolve("/" + index + "/_stats/merge"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new IllegalStateException(index + "/_stats/merge: " + r.statusCode() + r.body());
        }
        long current =
            JsonParser.parseString(r.body())
                .getAsJsonObject()
                .getAsJsonObject("_all")
                .getAsJsonObject("total")
                .getAsJsonObject("merges")
                .get("current")
                .getAsLong();
        if (current == 0) {
          return;
        }
        Thread.sleep(200);
      }
    }
  }
}
