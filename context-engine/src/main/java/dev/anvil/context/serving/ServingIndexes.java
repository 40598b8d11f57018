package dev.anvil.context.serving;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.ChunkIndex;
import dev.anvil.rbac.PolicyStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  private final SlotOpener opener;
  private final ServingRecord record;
  private final Object writeLock = new Object();
  private final Following following;

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
    this.opener = new SlotOpener(root, backend, policies, base, models, chunking);
    this.following = new Following(opener::close);
    this.record = ServingRecord.of(root, backend);
    try {
      ServingRecord.View view = record.read();
      if (record instanceof ServingRecord.Cluster c && c.unclaimed()) {
        ServingRecord.Place first = ServingRecord.unclaimed(root);
        opener.open(first).index().close(); // creates (or names) the index, which the alias needs
        c.claim(first);
        view = record.read(); // another replica may have claimed or switched first
      }
      this.serving = opener.open(view.serving());
      this.shadow = view.shadow().map(opener::open).orElse(null);
      this.shadowBuilding = view.building();
    } catch (RuntimeException e) {
      record.close();
      throw e;
    }
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
    try (ServingRecord r = ServingRecord.of(root, backend)) {
      if (r instanceof ServingRecord.Cluster c && c.unclaimed()) {
        return ServingRecord.unclaimed(root).dir();
      }
      return r.read().serving().dir();
    }
  }

  private ServingRecord.View view() {
    Slot s = shadow;
    return new ServingRecord.View(
        SlotOpener.place(serving), Optional.ofNullable(s).map(SlotOpener::place), shadowBuilding);
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
          opener.close(nextServing);
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
      if (SlotOpener.place(s).equals(p)) {
        return s;
      }
    }
    return opener.open(p);
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
      Embedder next = opener.models().apply(modelDir);
      try {
        Reembedding.requireSameChunks(next, opener.base());
        if (next.modelId().equals(serving.embedder().modelId())) {
          throw new ContextException(next.modelId() + " is the model in service already");
        }
        admit.accept(next, serving.embedder());
        // A re-embedding another replica left unfinished (killed) is redone from the start.
        record.release(view());
      } catch (RuntimeException e) {
        next.close();
        throw e;
      }
      Slot previous = shadow;
      if (previous != null) { // the rollback target gives way to the new model
        shadow = null;
        opener.close(previous);
      }
      String dir = SlotOpener.dirFor(next);
      opener.delete(dir); // what a killed re-embedding left
      Slot target;
      try {
        target = opener.open(dir, modelDir.toAbsolutePath().toString(), next);
      } catch (RuntimeException e) {
        next.close();
        throw e;
      }
      try {
        record.building(SlotOpener.place(target));
      } catch (RuntimeException e) {
        opener.close(target);
        throw e;
      }
      shadow = target;
      shadowBuilding = true;
      reembedding =
          new Reembedding(this, opener.policies(), serving, target, chunksPerSecond, settle());
      return reembedding;
    }
  }

  /** Makes a complete re-embedding the serving index, and the serving one the previous. */
  void switchTo(Slot source, Slot target) {
    synchronized (writeLock) {
      if (shadow != target || serving != source) {
        throw new ContextException("the re-embedding was cancelled");
      }
      target.index().refresh();
      target.index().commit(source.index().checkpoint());
      record.swap(SlotOpener.place(source), SlotOpener.place(target), true);
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
        opener.close(target);
        if (record.shared()) {
          ServingRecord.View now = record.read();
          if (now.serving().dir().equals(target.dir())
              || now.shadow().map(p -> p.dir().equals(target.dir())).orElse(false)) {
            return; // another replica's switch to the same model made it serve: keep it
          }
          record.unbuilt(SlotOpener.place(target));
        }
        opener.delete(target.dir());
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
      record.swap(SlotOpener.place(current), SlotOpener.place(previous), false);
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
      opener.close(previous);
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
      opener.delete(previous.dir());
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
        opener.close(slot);
      }
      following.close();
      record.close();
    }
  }
}
