package dev.anvil.context.serving;

import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.index.elastic.ElasticConfig;
import dev.anvil.context.index.elastic.ElasticServing;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an engine records which index serves and which one shadows it: {@code serving.json} in its
 * data directory for the embedded index (one engine per directory), or the cluster's aliases
 * ({@link ElasticServing}) for a cluster index that several replicas share and must agree on.
 */
sealed interface ServingRecord extends AutoCloseable {
  /**
   * One slot as recorded.
   *
   * @param dir the index directory ("." for the first one)
   * @param modelDir the model's directory; null for the model the engine opens with
   */
  record Place(String dir, String modelDir) {}

  /**
   * What the record says.
   *
   * @param serving the serving index
   * @param shadow the index that receives every write too, if any
   * @param building whether {@code shadow} is a re-embedding's target (else: the rollback target)
   */
  record View(Place serving, Optional<Place> shadow, boolean building) {}

  /** The record of an engine over {@code root} and {@code backend}. */
  static ServingRecord of(Path root, IndexBackend backend) {
    return switch (backend) {
      case IndexBackend.Embedded e -> new File(root);
      case IndexBackend.Cluster c -> new Cluster(c.config());
    };
  }

  /**
   * What an engine claims for the serving alias of a cluster where none is: the first index, or
   * what {@code serving.json} named before the cluster kept the record (an engine of an earlier
   * version).
   */
  static Place unclaimed(Path root) {
    return new File(root).read().serving();
  }

  /** Reads the record: the first index of the engine's model when nothing was recorded yet. */
  View read();

  /** Whether other engines may change the record, so that this one must follow it. */
  boolean shared();

  /**
   * {@code now}'s shadow is no longer recorded: a re-embedding replaces it, or the rollback target
   * is dropped.
   */
  void release(View now);

  /** A re-embedding fills {@code target} (its index exists). */
  void building(Place target);

  /** A re-embedding into {@code target} stopped unfinished. */
  void unbuilt(Place target);

  /**
   * {@code to} serves, and {@code from} is kept for a rollback.
   *
   * @param fromBuilding whether {@code to} was a re-embedding's target (else: the rollback target)
   */
  void swap(Place from, Place to, boolean fromBuilding);

  @Override
  void close();

  /** {@code serving.json} in the engine's data directory. */
  record File(Path root) implements ServingRecord {
    @Override
    public View read() {
      ServingState s = ServingState.read(root);
      if (s == null) {
        return new View(new Place(".", null), Optional.empty(), false);
      }
      Optional<Place> previous =
          s.previousIndex() == null
              ? Optional.empty()
              : Optional.of(new Place(s.previousIndex(), s.previousModelDir()));
      return new View(new Place(s.index(), s.modelDir()), previous, false);
    }

    @Override
    public boolean shared() {
      return false;
    }

    @Override
    public void release(View now) {
      ServingState s = ServingState.read(root);
      if (s != null && s.previousIndex() != null) {
        new ServingState(s.index(), s.modelDir(), null, null).write(root);
      }
    }

    @Override
    public void building(Place target) {}

    @Override
    public void unbuilt(Place target) {}

    @Override
    public void swap(Place from, Place to, boolean fromBuilding) {
      new ServingState(to.dir(), to.modelDir(), from.dir(), from.modelDir()).write(root);
    }

    @Override
    public void close() {}
  }

  /** The aliases of an index prefix in a cluster. */
  record Cluster(ElasticConfig config, ElasticServing aliases) implements ServingRecord {
    Cluster(ElasticConfig config) {
      this(config, new ElasticServing(config));
    }

    @Override
    public View read() {
      ElasticServing.State s = aliases.read();
      Place serving = s.serving().map(Cluster::place).orElse(new Place(".", null));
      return new View(serving, s.shadow().map(Cluster::place), s.building().isPresent());
    }

    private static Place place(ElasticServing.Entry e) {
      return new Place(e.dir(), e.modelDir().orElse(null));
    }

    /** Whether no index of the prefix has the serving alias yet. */
    boolean unclaimed() {
      return aliases.read().serving().isEmpty();
    }

    /** Puts the serving alias on {@code first}'s index if nothing serves yet (it must exist). */
    void claim(Place first) {
      aliases.claim(config.indexName(first.dir()));
    }

    @Override
    public boolean shared() {
      return true;
    }

    @Override
    public void release(View now) {
      ElasticServing.State s = aliases.read();
      if (!s.serving().map(Cluster::place).orElse(new Place(".", null)).equals(now.serving())
          || !s.shadow().map(Cluster::place).equals(now.shadow())) {
        throw new dev.anvil.context.api.ContextException(
            "the cluster's serving aliases changed meanwhile (another replica switched);"
                + " try again");
      }
      aliases.release(s);
    }

    @Override
    public void building(Place target) {
      aliases.building(config.indexName(target.dir()));
    }

    @Override
    public void unbuilt(Place target) {
      aliases.unbuild(config.indexName(target.dir()));
    }

    @Override
    public void swap(Place from, Place to, boolean fromBuilding) {
      aliases.swap(
          config.indexName(from.dir()),
          config.indexName(to.dir()),
          fromBuilding
              ? ElasticServing.buildingAlias(config)
              : ElasticServing.rollbackAlias(config));
    }

    @Override
    public void close() {
      aliases.close();
    }
  }
}
