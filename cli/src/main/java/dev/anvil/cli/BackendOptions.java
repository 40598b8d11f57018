package dev.anvil.cli;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.index.elastic.ClusterDialect;
import dev.anvil.context.index.elastic.ElasticConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Which search backend holds the chunks: the embedded index (default) or an existing Elasticsearch
 * or OpenSearch cluster ({@code --backend elasticsearch --es-url ...}, {@code --backend opensearch
 * --es-url ...}; the {@code --es-*} options name the cluster of either).
 */
final class BackendOptions {
  /** The backends {@code --backend} names. */
  enum Kind {
    embedded,
    elasticsearch,
    opensearch
  }

  @Option(
      names = "--backend",
      paramLabel = "KIND",
      defaultValue = "embedded",
      description =
          "Where the chunks live: embedded (a Lucene index in --index), elasticsearch or"
              + " opensearch (an existing cluster, --es-url); default: ${DEFAULT-VALUE}.")
  Kind kind;

  @Option(
      names = "--es-url",
      paramLabel = "URL",
      split = ",",
      description =
          "With --backend elasticsearch or opensearch: the cluster's HTTP endpoints (http:// or"
              + " https://), comma-separated or repeated; the next is tried when one cannot be"
              + " reached.")
  List<String> urls;

  @Option(
      names = "--es-ca",
      paramLabel = "FILE",
      description = "PEM file of the CA that signed the cluster's certificates (https).")
  Path ca;

  @Option(
      names = "--es-credentials-file",
      paramLabel = "FILE",
      description =
          "File holding user:password or an API key for the cluster (e.g. a mounted Secret);"
              + " never on the command line.")
  Path credentials;

  @Option(
      names = "--es-index-prefix",
      paramLabel = "PREFIX",
      defaultValue = ElasticConfig.DEFAULT_PREFIX,
      description = "Start of the names of the indexes Anvil creates (default: ${DEFAULT-VALUE}).")
  String prefix;

  @Option(
      names = "--es-shards",
      paramLabel = "N",
      defaultValue = "1",
      description = "Primary shards of an index Anvil creates (default: ${DEFAULT-VALUE}).")
  int shards;

  @Option(
      names = "--es-replicas",
      paramLabel = "N",
      defaultValue = "1",
      description = "Replicas of each shard of an index Anvil creates (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(
      names = "--es-serving-poll",
      paramLabel = "SECONDS",
      defaultValue = "5",
      description =
          "Seconds between reads of the cluster's serving alias, to follow a model switch or"
              + " rollback made by another replica (default: ${DEFAULT-VALUE}).")
  double servingPoll;

  /**
   * The backend the options name.
   *
   * @throws ContextException naming the option that is missing, or given without its backend
   */
  IndexBackend backend() {
    return switch (kind) {
      case embedded -> {
        if (urls != null && !urls.isEmpty() || ca != null || credentials != null) {
          throw new ContextException(
              "--es-url, --es-ca and --es-credentials-file need --backend elasticsearch or"
                  + " opensearch");
        }
        yield IndexBackend.embedded();
      }
      case elasticsearch -> cluster(ClusterDialect.ELASTICSEARCH);
      case opensearch -> cluster(ClusterDialect.OPENSEARCH);
    };
  }

  /** A cluster of {@code dialect}, as the {@code --es-*} options name it. */
  private IndexBackend cluster(ClusterDialect dialect) {
    if (urls == null || urls.isEmpty()) {
      throw new ContextException(
          "--backend " + kind + " needs --es-url (e.g. https://search.example:9200)");
    }
    List<URI> parsed = new ArrayList<>();
    for (String u : urls) {
      try {
        parsed.add(URI.create(u.strip()));
      } catch (IllegalArgumentException e) {
        throw new ContextException("--es-url: '" + u + "' is not a URL: " + e.getMessage());
      }
    }
    try {
      return new IndexBackend.Cluster(
          dialect,
          new ElasticConfig(
              parsed,
              Optional.ofNullable(ca),
              Optional.ofNullable(credentials),
              prefix,
              shards,
              replicas),
          Duration.ofMillis(Math.round(servingPoll * 1000)));
    } catch (IllegalArgumentException e) {
      throw new ContextException("--" + e.getMessage());
    }
  }
}
