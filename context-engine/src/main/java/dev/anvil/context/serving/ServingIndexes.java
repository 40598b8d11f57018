package dev.anvil.context.serving;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.ChunkIndex;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.context.index.LuceneIndex;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.InvalidTagsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The indexes an engine serves from: the serving slot, which every search takes once, and a shadow
 * slot that receives every write too — the previous model's index (for an instant {@link
 * #rollback}) or the index a {@link Reembedding} is building. A {@link ServingRecord} records which
 * is which: {@code serving.json} in the root, replaced atomically at each switch, for the embedded
 * index; the cluster's aliases for a cluster index, which every replica over it {@link #follow
 * follows}.
 *
 * <p>Every write and every switch runs under one lock ({@link #underWriteLock}), so a switch never
 * happens between the writes of one change to both slots. Thread-safe.
 */
public final class ServingIndexes implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServingIndexes.class);

  private final Path root;
  private final PolicyStore policies;
  private final Embedder base;
  private final Function<Path, Embedder> models;
  private final String chunking;
  private final IndexBackend backend;
  private final ServingRecord record;
  private final Object writeLock = new Object();
  private final Following following = new Following(this::close);

  private volatile Slot serving;
  private volatile Slot shadow;
  private volatile boolean shadowBuilding;
  private volatile long shadowSince = System.nanoTime();
  private volatile Reembedding reembedding;

  /**
   * Opens the slots {@code serving.json} names in {@code root}, or the root itself.
   *
   * @param base the model of an index that never switched
   * @param models loads the model directories the engine switched to
   * @param chunking how the engine cuts chunks (every slot must hold chunks cut so)
   */
  public ServingIndexes(
      Path root,
      PolicyStore policies,
      Embedder base,
      Function<Path, Embedder> models,
      String chunking) {
    this(root, IndexBackend.embedded(), policies, base, models, chunking);
  }

  /**
   * Opens the slots {@code serving.json} names in {@code root}, or the root itself, each an index
   * of {@code backend}.
   */
  public ServingIndexes(
      Path root,
      IndexBackend backend,
      PolicyStore policies,
      Embedder base,
      Function<Path, Embedder> models,
      String chunking) {
    this.root = root;
    this.backend = backend;
    try {
      // serving.json lives here whatever the backend (a cluster keeps no files of ours).
      java.nio.file.Files.createDirectories(root);
    } catch (java.io.IOException e) {
      throw new ContextException("cannot create the data directory " + root + ": " + e, e);
    }
    this.policies = policies;
    this.base = base;
    this.models = models;
    this.chunking = chunking;
    this.record = record(root, backend);
    try {
      ServingRecord.View view = record.read();
      if (record instanceof ServingRecord.Cluster c && c.unclaimed()) {
        ServingRecord.Place first = unclaimed(root);
        slot(first).index().close(); // creates (or names) the index, which the alias needs
        c.claim(first);
        view = record.read(); // another replica may have claimed or switched first
      }
      this.serving = slot(view.serving());
      this.shadow = view.shadow().map(this::slot).orElse(null);
      this.shadowBuilding = view.building();
    } catch (RuntimeException e) {
      record.close();
      throw e;
    }
  }

  private static ServingRecord record(Path root, IndexBackend backend) {
    return switch (backend) {
      case IndexBackend.Embedded e -> new ServingRecord.File(root);
      case IndexBackend.Cluster c -> new ServingRecord.Cluster(c.config());
    };
  }

  /**
   * What an engine claims for the serving alias of a cluster where none is: the first index, or
   * what {@code serving.json} named before the cluster kept the record (an engine of an earlier
   * version).
   */
  private static ServingRecord.Place unclaimed(Path root) {
    return new ServingRecord.File(root).read().serving();
  }

  /**
   * The index directory an engine over {@code root} and {@code backend} serves from, relative to
   * {@code root} ({@code "."} before any switch), read as it is, changing nothing: for tools that
   * read it ({@code anvil policy diff}). With a cluster, the one the cluster's serving alias names,
   * whatever any {@code serving.json} says (another replica may have switched); before any engine
   * put the alias, the index an engine would claim.
   *
   * @throws ContextException if the cluster cannot be reached or its serving alias is on an index
   *     that is not an Anvil index of the prefix
   */
  public static String servingDir(Path root, IndexBackend backend) {
    try (ServingRecord r = record(root, backend)) {
      if (r instanceof ServingRecord.Cluster c && c.unclaimed()) {
        return unclaimed(root).dir();
      }
      return r.read().serving().dir();
    }
  }

  private Slot slot(ServingRecord.Place place) {
    String modelDir = place.modelDir();
    Embedder e = modelDir == null ? base : models.apply(Path.of(modelDir));
    try {
      return new Slot(place.dir(), modelDir, open(place.dir(), modelDir, e), e);
    } catch (RuntimeException ex) {
      if (e != base) {
        e.close();
      }
      throw ex;
    }
  }

  private ChunkIndex open(String dir, String modelDir, Embedder e) {
    return backend.open(
        root, dir, e.modelId(), modelDir, e.dimension(), chunking, policies.current().schema());
  }

  private static ServingRecord.Place place(Slot slot) {
    return new ServingRecord.Place(slot.dir(), slot.modelDir());
  }

  private ServingRecord.View view() {
    Slot s = shadow;
    return new ServingRecord.View(
        place(serving), s == null ? Optional.empty() : Optional.of(place(s)), shadowBuilding);
  }

  /** Whether other replicas share the index and may switch it (a cluster index). */
  public boolean shared() {
    return record.shared();
  }

  /**
   * Reads the record and, if another replica switched, rolled back or started a re-embedding,
   * serves and writes as it says: the slots of the model now serving and of the index shadowing it,
   * reusing those already open. A slot that leaves service is closed a while later, so a search
   * that took it just before finishes. Nothing to do for a record that only this engine changes.
   *
   * @return whether the slots changed
   * @throws dev.anvil.context.api.ContextException if the record names an index that cannot be
   *     served (another model's vectors than its model directory loads, an index outside the
   *     prefix): the engine keeps serving what it served
   */
  public boolean follow() {
    if (!record.shared()) {
      return false;
    }
    synchronized (writeLock) {
      following.closeExpired();
      Reembedding r = reembedding;
      if (r != null && !r.finished().isDone()) {
        return false; // this replica's own re-embedding changes the record, and nobody else
      }
      ServingRecord.View v = record.read();
      if (v.equals(view())) {
        return false;
      }
      List<Slot> open = slots();
      Slot nextServing = reuse(v.serving(), open);
      Slot nextShadow;
      try {
        nextShadow = v.shadow().map(p -> reuse(p, open)).orElse(null);
      } catch (RuntimeException e) {
        if (!open.contains(nextServing)) {
          close(nextServing);
        }
        throw e;
      }
      for (Slot old : open) {
        if (old != nextServing && old != nextShadow) {
          following.retire(old);
        }
      }
      serving = nextServing;
      if (nextShadow != shadow) {
        shadowSince = System.nanoTime();
      }
      shadow = nextShadow;
      shadowBuilding = v.building();
      LOG.info(
          "following the cluster: serving {}{}",
          nextServing.embedder().modelId(),
          nextShadow == null
              ? ""
              : (v.building() ? ", re-embedding into " : ", rollback to ")
                  + nextShadow.embedder().modelId());
      return true;
    }
  }

  private Slot reuse(ServingRecord.Place p, List<Slot> open) {
    for (Slot s : open) {
      if (place(s).equals(p)) {
        return s;
      }
    }
    return slot(p);
  }

  /**
   * Follows the record every {@code interval} (see {@link #follow}) on a daemon thread, until the
   * returned handle or {@link #close} stops it; a record that cannot be served is logged and
   * retried.
   */
  public AutoCloseable followEvery(Duration interval) {
    return following.every(interval, this::follow);
  }

  /**
   * How long a re-embedding waits, once the record names its index, before it reads the serving
   * index: two follow intervals, by which every replica that follows as often writes to it too.
   * Zero for a record no other engine follows.
   */
  private Duration settle() {
    return record.shared() ? following.interval().multipliedBy(2) : Duration.ZERO;
  }

  /** Whether {@code target} is still the shadow (not cancelled, not replaced). Under the lock. */
  boolean shadows(Slot target) {
    return shadow == target;
  }

  /** The slot searches use now. */
  public Slot serving() {
    return serving;
  }

  /** Both slots, the serving one first: where every write goes. Call under the write lock. */
  public List<Slot> slots() {
    Slot s = shadow;
    return s == null ? List.of(serving) : List.of(serving, s);
  }

  /** Runs {@code body} holding the lock that orders writes and switches. */
  public <T> T underWriteLock(Supplier<T> body) {
    synchronized (writeLock) {
      return body.get();
    }
  }

  /** Makes writes visible to searches in both slots. Call under the write lock. */
  public void refresh() {
    for (Slot slot : slots()) {
      slot.index().refresh();
    }
  }

  /** Commits both slots, with {@code checkpoint} (see {@link ChunkIndex#commit(Map)}). */
  public void commit(Map<String, String> checkpoint) {
    synchronized (writeLock) {
      for (Slot slot : slots()) {
        slot.index().commit(checkpoint);
      }
    }
  }

  /** The checkpoint of the serving index's last commit. */
  public Map<String, String> checkpoint() {
    return serving.index().checkpoint();
  }

  /** The serving model's directory; empty for a model packaged with Anvil. */
  public Optional<Path> modelDir() {
    return modelDirOf(serving);
  }

  /** The directory of the model kept for a rollback; empty if none, or it is packaged. */
  public Optional<Path> previousModelDir() {
    Slot s = shadow;
    return previousModelId().isPresent() ? modelDirOf(s) : Optional.empty();
  }

  private static Optional<Path> modelDirOf(Slot s) {
    return s.modelDir() != null ? Optional.of(Path.of(s.modelDir())) : s.embedder().directory();
  }

  /** The model a rollback would return to, if one is kept. */
  public Optional<String> previousModelId() {
    Slot s = shadow;
    Reembedding r = reembedding;
    boolean rollbackTarget = s != null && !shadowBuilding && (r == null || r.finished().isDone());
    return rollbackTarget ? Optional.of(s.embedder().modelId()) : Optional.empty();
  }

  /** The re-embedding started last, if any. */
  public Optional<Reembedding> reembedding() {
    return Optional.ofNullable(reembedding);
  }

  /**
   * Starts re-embedding the serving index with the model in {@code modelDir} into an index of its
   * own, in the background; see {@code ContextEngine#reembed}.
   *
   * @throws ContextException if a re-embedding is under way, the model is the serving one, or it
   *     cannot reuse the chunks (another tokenizer or token limit)
   */
  public Reembedding reembed(Path modelDir, double chunksPerSecond) {
    return reembed(modelDir, chunksPerSecond, (next, current) -> {});
  }

  /**
   * {@link #reembed(Path, double)}, once {@code admit} accepted the loaded model and the serving
   * one (it refuses by throwing; nothing has changed then): a check on the exact bytes loaded.
   */
  public Reembedding reembed(
      Path modelDir, double chunksPerSecond, BiConsumer<Embedder, Embedder> admit) {
    synchronized (writeLock) {
      if (reembedding != null && !reembedding.finished().isDone()) {
        throw new ContextException("a re-embedding to " + reembedding.modelId() + " is under way");
      }
      follow(); // switch from what the cluster serves now, not from what this replica saw last
      Embedder next = models.apply(modelDir);
      String probe = "Anvil re-embeds every chunk with the new model: één, 2027, naïve.";
      if (next.maxTokens() != base.maxTokens()
          || next.countTokens(probe) != base.countTokens(probe)) {
        next.close();
        throw new ContextException(
            next.modelId()
                + ": re-embedding keeps the index's chunks, so the model must use the same"
                + " tokenizer and token limit as "
                + base.modelId()
                + "; re-ingest the documents to change them");
      }
      if (next.modelId().equals(serving.embedder().modelId())) {
        next.close();
        throw new ContextException(next.modelId() + " is the model in service already");
      }
      try {
        admit.accept(next, serving.embedder());
      } catch (RuntimeException e) {
        next.close();
        throw e;
      }
      try {
        // A re-embedding another replica left unfinished (killed) is redone from the start.
        record.release(view());
      } catch (RuntimeException e) {
        next.close();
        throw e;
      }
      Slot previous = shadow;
      if (previous != null) { // the rollback target gives way to the new model
        shadow = null;
        close(previous);
      }
      String dir = "models/" + next.modelId().replaceAll("[^A-Za-z0-9._-]", "_");
      backend.drop(root, dir); // what a killed re-embedding left
      String nextDir = modelDir.toAbsolutePath().toString();
      Slot target = new Slot(dir, nextDir, open(dir, nextDir, next), next);
      try {
        record.building(place(target));
      } catch (RuntimeException e) {
        close(target);
        throw e;
      }
      shadow = target;
      shadowBuilding = true;
      reembedding = new Reembedding(this, serving, target, chunksPerSecond, settle());
      return reembedding;
    }
  }

  /**
   * Copies one document into {@code target} with new vectors, unless it changed meanwhile (the dual
   * write then gave {@code target} its state) or the re-embedding was cancelled.
   */
  boolean copy(Slot source, Slot target, List<ChunkRecord> chunks, float[][] vectors) {
    ChunkRecord first = chunks.getFirst();
    DocTags tags;
    try {
      tags = policies.current().schema().validate(first.rawTags());
    } catch (InvalidTagsException e) {
      return false; // tags the schema no longer accepts: not served either way
    }
    synchronized (writeLock) {
      if (shadow != target) {
        return false; // cancelled
      }
      source.index().refresh();
      OptionalLong now = source.index().version(first.id());
      if (now.isEmpty() || now.getAsLong() != first.version()) {
        return false; // deleted or replaced since: the dual write already gave target its state
      }
      Document doc =
          new Document(
              first.id(), first.version(), first.title(), "", first.source(), first.rawTags());
      target
          .index()
          .upsert(
              doc,
              tags,
              chunks.stream().map(ChunkRecord::text).toList(),
              chunks.stream().mapToInt(ChunkRecord::tokens).toArray(),
              vectors);
      return true;
    }
  }

  /** The chunks of a document in {@code slot}, read with the schema in force. */
  List<ChunkRecord> chunksOf(Slot slot, String id) {
    return slot.index().chunksOf(id, policies.current().schema());
  }

  /** Makes a complete re-embedding the serving index, and the serving one the previous. */
  void switchTo(Slot source, Slot target) {
    synchronized (writeLock) {
      if (shadow != target || serving != source) {
        throw new ContextException("the re-embedding was cancelled");
      }
      target.index().refresh();
      target.index().commit(source.index().checkpoint());
      record.swap(place(source), place(target), true);
      serving = target;
      shadow = source;
      shadowBuilding = false;
      shadowSince = System.nanoTime();
      LOG.info("serving {} (was {})", target.embedder().modelId(), source.embedder().modelId());
    }
  }

  /** Drops an unfinished re-embedding: its index is deleted, the serving model stays. */
  void abandon(Slot target) {
    synchronized (writeLock) {
      if (shadow == target) {
        shadow = null;
        shadowBuilding = false;
        target.index().close();
        target.embedder().close();
        if (record.shared()) {
          ServingRecord.View now = record.read();
          if (now.serving().dir().equals(target.dir())
              || now.shadow().map(p -> p.dir().equals(target.dir())).orElse(false)) {
            return; // another replica's switch to the same model made it serve: keep it
          }
          record.unbuilt(place(target));
        }
        backend.drop(root, target.dir());
      }
    }
  }

  /**
   * Switches back to the previous model, at once: its index received every write meanwhile, so
   * nothing is re-embedded. Returns the model now serving.
   *
   * @throws ContextException if there is no previous model, or a re-embedding is under way
   */
  public String rollback() {
    synchronized (writeLock) {
      Slot previous = shadow;
      if (reembedding != null && !reembedding.finished().isDone()) {
        throw new ContextException("a re-embedding is under way; cancel it first");
      }
      if (follow()) {
        previous = shadow; // another replica changed what serves: roll back from there
      }
      if (shadowBuilding) {
        throw new ContextException(
            "no previous model to roll back to: a re-embedding to "
                + previous.embedder().modelId()
                + " is under way on another replica (or was left by one that stopped), and the"
                + " previous index stopped receiving writes when it started; finish or redo it");
      }
      if (previous == null) {
        throw new ContextException("no previous model to roll back to");
      }
      Slot current = serving;
      previous.index().commit(current.index().checkpoint());
      record.swap(place(current), place(previous), false);
      serving = previous;
      shadow = current;
      shadowSince = System.nanoTime();
      LOG.info("rolled back to {}", previous.embedder().modelId());
      return previous.embedder().modelId();
    }
  }

  /**
   * Stops keeping the previous model for a rollback: its index no longer receives writes (each
   * write is embedded once again, not twice) and is deleted. On a cluster its alias goes first, and
   * the index once every replica has followed (two follow intervals), so that none writes to it
   * after.
   *
   * @return the model that was kept
   * @throws ContextException if no previous model is kept, or a re-embedding is under way
   */
  public String dropRollback() {
    Slot previous;
    synchronized (writeLock) {
      if (reembedding != null && !reembedding.finished().isDone()) {
        throw new ContextException("a re-embedding is under way; cancel it first");
      }
      follow(); // drop what the cluster keeps now
      previous = shadow;
      if (previous == null || shadowBuilding) {
        throw new ContextException("no previous model is kept for a rollback");
      }
      record.release(view());
      shadow = null;
      close(previous);
      LOG.info("dropped the rollback to {}", previous.embedder().modelId());
    }
    try {
      Thread.sleep(settle().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (writeLock) {
      follow();
      if (slots().stream().anyMatch(s -> s.dir().equals(previous.dir()))) {
        // A switch back to that model began meanwhile and is building its index anew.
        return previous.embedder().modelId();
      }
      if (backend instanceof IndexBackend.Embedded && previous.dir().equals(".")) {
        LuceneIndex.clear(root); // the first index shares the data directory: empty it, only it
      } else {
        backend.drop(root, previous.dir());
      }
    }
    return previous.embedder().modelId();
  }

  /**
   * Drops the rollback target once it has been kept for {@code window} ({@link #dropRollback}),
   * checked every {@code every} on a daemon thread until {@link #close}; the window starts again at
   * every switch and rollback.
   */
  public void keepRollbackFor(Duration window, Duration every) {
    following.repeat(
        every,
        "cannot drop the rollback kept past its window; kept",
        () -> {
          if (previousModelId().isPresent()
              // As durations: a window of centuries has no nanosecond count in a long.
              && Duration.ofNanos(System.nanoTime() - shadowSince).compareTo(window) >= 0) {
            try {
              LOG.info("the rollback was kept for {}: dropping it", window);
              dropRollback();
            } catch (ContextException e) {
              LOG.debug("nothing to drop: {}", e.getMessage()); // another replica dropped it
            }
          }
        });
  }

  /**
   * Merges the serving index's segments once no write came for {@code quiet} ({@link
   * ChunkIndex#mergeWhenQuiet}), checked every {@code every} on a daemon thread until {@link
   * #close}.
   */
  public void mergeWhenQuiet(Duration quiet, Duration every) {
    following.repeat(
        every,
        "cannot merge the serving index's segments; searching them as they are",
        () -> mergeServing(quiet));
  }

  /** Merges the serving index's segments now if no write came for {@code quiet}; whether it did. */
  public boolean mergeServing(Duration quiet) {
    boolean merged = serving.index().mergeWhenQuiet(quiet);
    if (merged) {
      LOG.info("merged the serving index into one segment after writes paused for {}", quiet);
    }
    return merged;
  }

  /** Cancels a re-embedding under way, then closes every index and every model it loaded. */
  @Override
  public void close() {
    following.stop();
    Reembedding running = reembedding;
    if (running != null) {
      running.cancel();
    }
    synchronized (writeLock) {
      for (Slot slot : slots()) {
        close(slot);
      }
      following.close();
      record.close();
    }
  }

  private void close(Slot slot) {
    slot.index().close();
    if (slot.embedder() != base) {
      slot.embedder().close();
    }
  }
}
