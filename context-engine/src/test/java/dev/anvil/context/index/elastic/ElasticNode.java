package dev.anvil.context.index.elastic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The real single-node Elasticsearch of the tests, from the distribution zip Maven resolved ({@code
 * org.elasticsearch.distribution.integ-test-zip:elasticsearch}, path in the system property {@code
 * anvil.elasticsearch.zip}), run on the test's own JDK (21+) as {@link ClusterNode} says, with a
 * 512 MiB heap (the system property {@code anvil.elasticsearch.heap}, e.g. {@code 2g}, for a
 * benchmark). Started once per test JVM ({@link #shared()}) and stopped when it exits.
 */
public final class ElasticNode {
  private static ClusterNode shared;

  private ElasticNode() {}

  /** The node of this test JVM, started on first use. */
  public static synchronized ClusterNode shared() {
    if (shared == null) {
      shared = start();
    }
    return shared;
  }

  private static ClusterNode start() {
    Path zip = ClusterNode.requiredFile("anvil.elasticsearch.zip");
    try {
      Path home =
          ClusterNode.unpackHome(
              zip, ClusterNode.target().resolve("elasticsearch"), "elasticsearch-");
      String heap = System.getProperty("anvil.elasticsearch.heap", "512m");
      if (!heap.matches("[0-9]+[mg]")) {
        throw new IllegalArgumentException(
            "anvil.elasticsearch.heap: expected a size such as 512m or 2g, was '" + heap + "'");
      }
      return ClusterNode.start(
          new ClusterNode.Launch(
              "Elasticsearch",
              home,
              "bin/elasticsearch",
              List.of("xpack.security.enabled=false"),
              run ->
                  Map.of(
                      "ES_JAVA_HOME", System.getProperty("java.home"),
                      "ES_JAVA_OPTS", "-Xms" + heap + " -Xmx" + heap,
                      "ES_PATH_CONF", run.resolve("config").toString(),
                      "ES_TMPDIR", run.resolve("tmp").toString())),
          (config, run) -> {});
    } catch (IOException e) {
      throw new UncheckedIOException("starting Elasticsearch failed", e);
    }
  }
}
