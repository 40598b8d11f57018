package dev.anvil.context.backend;

import dev.anvil.context.index.ChunkIndex;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.context.index.elastic.ClusterDialect;
import dev.anvil.context.index.elastic.ElasticConfig;
import dev.anvil.context.index.elastic.ElasticIndex;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Where an engine keeps its chunks: a closed set, opened by exhaustive switches. An engine has
 * index directories relative to its root ({@code "."}, then {@code models/ID} for each model it
 * switched to); each backend maps such a directory to an index of its own.
 */
public sealed interface IndexBackend {
  /** The embedded Lucene index in the engine's data directory (the default). */
  record Embedded() implements IndexBackend {}

  /**
   * An index per directory in an existing Elasticsearch cluster.
   *
   * @param config the cluster and the index names
   */
  record Elasticsearch(ElasticConfig config) implements IndexBackend {
    public Elasticsearch {
      Objects.requireNonNull(config, "config");
    }
  }

  /**
   * An index per directory in an existing OpenSearch cluster (2.x with the k-NN plugin): the same
   * requests as {@link Elasticsearch} but where {@link ClusterDialect} says they differ.
   *
   * @param config the cluster and the index names
   */
  record OpenSearch(ElasticConfig config) implements IndexBackend {
    public OpenSearch {
      Objects.requireNonNull(config, "config");
    }
  }

  /** The embedded default. */
  static IndexBackend embedded() {
    return new Embedded();
  }

  /**
   * Opens (or creates) the index of {@code dir}.
   *
   * @param root the engine's data directory
   * @param dir the index directory, relative to {@code root}
   * @param modelId the model of the vectors
   * @param dimension the vectors' dimension
   * @param chunking how chunks are cut
   * @param schema the tag schema in force (a new cluster index maps its tags)
   * @throws dev.anvil.context.api.ContextException if the index holds another model's vectors or
   *     chunks cut otherwise, or cannot be opened
   */
  default ChunkIndex open(
      Path root, String dir, String modelId, int dimension, String chunking, TagSchema schema) {
    return switch (this) {
      case Embedded e -> LuceneIndex.open(root.resolve(dir).normalize(), modelId, chunking);
      case Elasticsearch es ->
          ElasticIndex.open(
              es.config(), ClusterDialect.ELASTICSEARCH, dir, modelId, dimension, chunking, schema);
      case OpenSearch os ->
          ElasticIndex.open(
              os.config(), ClusterDialect.OPENSEARCH, dir, modelId, dimension, chunking, schema);
    };
  }

  /**
   * Runs {@code f} over a snapshot of the index of {@code dir} as it is, creating and changing
   * nothing: for tools that read an index an engine may be serving ({@code anvil policy diff}).
   *
   * @throws dev.anvil.context.api.ContextException if there is no such index (naming it)
   */
  default <T> T readExisting(Path root, String dir, ChunkIndex.SnapshotFunction<T> f) {
    return switch (this) {
      case Embedded e -> LuceneIndex.readCommitted(root.resolve(dir).normalize(), f);
      case Elasticsearch es ->
          ElasticIndex.readExisting(es.config(), ClusterDialect.ELASTICSEARCH, dir, f);
      case OpenSearch os ->
          ElasticIndex.readExisting(os.config(), ClusterDialect.OPENSEARCH, dir, f);
    };
  }

  /** Where the index of {@code dir} is, in words: its directory, or its name in the cluster. */
  default String describe(Path root, String dir) {
    return switch (this) {
      case Embedded e -> "the index at " + root.resolve(dir).normalize();
      case Elasticsearch es ->
          "the index " + es.config().indexName(dir) + " in " + es.config().urls();
      case OpenSearch os -> "the index " + os.config().indexName(dir) + " in " + os.config().urls();
    };
  }

  /** Deletes the index of {@code dir} and everything in it; absent is fine. */
  default void drop(Path root, String dir) {
    switch (this) {
      case Embedded e -> deleteRecursively(root.resolve(dir));
      case Elasticsearch es -> ElasticIndex.drop(es.config(), dir);
      case OpenSearch os -> ElasticIndex.drop(os.config(), dir);
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete " + dir, e);
    }
  }
}
