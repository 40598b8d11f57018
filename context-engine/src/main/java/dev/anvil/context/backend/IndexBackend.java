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
import java.time.Duration;
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
   * An index per directory in an existing Elasticsearch or OpenSearch cluster, shared by every
   * engine replica with the same index prefix; which one serves is the cluster's serving alias
   * ({@link dev.anvil.context.index.elastic.ElasticServing}). Both products get the same requests
   * but where {@link ClusterDialect} says they differ.
   *
   * @param dialect which product the cluster is
   * @param config the cluster and the index names
   * @param followEvery how often an engine reads the serving alias, to follow a switch or rollback
   *     made by another replica
   */
  record Cluster(ClusterDialect dialect, ElasticConfig config, Duration followEvery)
      implements IndexBackend {
    /** How often an engine reads the serving alias unless told otherwise. */
    public static final Duration DEFAULT_FOLLOW = Duration.ofSeconds(5);

    public Cluster {
      Objects.requireNonNull(dialect, "dialect");
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(followEvery, "followEvery");
      if (followEvery.isNegative() || followEvery.isZero() || followEvery.toHours() >= 1) {
        throw new IllegalArgumentException(
            "es-serving-poll: expected more than 0 s and less than an hour, was " + followEvery);
      }
    }

    /** {@code config}, following the serving alias every {@link #DEFAULT_FOLLOW}. */
    public Cluster(ClusterDialect dialect, ElasticConfig config) {
      this(dialect, config, DEFAULT_FOLLOW);
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
   * @param modelDir the model's directory, recorded with a new cluster index for other replicas
   *     (null: the model the engine opens with)
   * @param dimension the vectors' dimension
   * @param chunking how chunks are cut
   * @param schema the tag schema in force (a new cluster index maps its tags)
   * @throws dev.anvil.context.api.ContextException if the index holds another model's vectors or
   *     chunks cut otherwise, or cannot be opened
   */
  default ChunkIndex open(
      Path root,
      String dir,
      String modelId,
      String modelDir,
      int dimension,
      String chunking,
      TagSchema schema) {
    return switch (this) {
      case Embedded e -> LuceneIndex.open(root.resolve(dir).normalize(), modelId, chunking);
      case Cluster es ->
          ElasticIndex.open(
              es.config(), es.dialect(), dir, modelId, modelDir, dimension, chunking, schema);
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
      case Cluster c -> ElasticIndex.readExisting(c.config(), c.dialect(), dir, f);
    };
  }

  /** Where the index of {@code dir} is, in words: its directory, or its name in the cluster. */
  default String describe(Path root, String dir) {
    return switch (this) {
      case Embedded e -> "the index at " + root.resolve(dir).normalize();
      case Cluster c -> "the index " + c.config().indexName(dir) + " in " + c.config().urls();
    };
  }

  /** Deletes the index of {@code dir} and everything in it; absent is fine. */
  default void drop(Path root, String dir) {
    switch (this) {
      case Embedded e -> deleteRecursively(root.resolve(dir).normalize());
      case Cluster c -> ElasticIndex.drop(c.config(), dir);
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
