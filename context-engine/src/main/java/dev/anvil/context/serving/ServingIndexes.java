package dev.anvil.context.serving;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.ChunkIndex;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.InvalidTagsException;
import java.nio.file.Path;
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
 * #rollback}) or the index a {@link Reembedding} is building. {@code serving.json} in the root
 * records which is which, replaced atomically at each switch.
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
  private final Object writeLock = new Object();

  private volatile Slot serving;
  private volatile Slot shadow;
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
    ServingState state = ServingState.read(root);
    this.serving = state == null ? slot(".", null) : slot(state.index(), state.modelDir());
    this.shadow =
        state == null || state.previousIndex() == null
            ? null
            : slot(state.previousIndex(), state.previousModelDir());
  }

  /**
   * The directory of the index an engine over {@code root} serves from: the one {@code
   * serving.json} names, or {@code root} itself before any switch. For tools that read it.
   */
  public static Path servingIndex(Path root) {
    return root.resolve(servingDir(root)).normalize();
  }

  /**
   * The index directory an engine over {@code root} serves from, relative to {@code root} ({@code
   * "."} before any switch): what names its index in a cluster. For tools that read it.
   */
  public static String servingDir(Path root) {
    ServingState state = ServingState.read(root);
    return state == null ? "." : state.index();
  }

  private Slot slot(String dir, String modelDir) {
    Embedder e = modelDir == null ? base : models.apply(Path.of(modelDir));
    return new Slot(dir, modelDir, open(dir, e), e);
  }

  private ChunkIndex open(String dir, Embedder e) {
    return backend.open(
        root, dir, e.modelId(), e.dimension(), chunking, policies.current().schema());
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
    Slot s = serving;
    return s.modelDir() != null ? Optional.of(Path.of(s.modelDir())) : s.embedder().directory();
  }

  /** The model a rollback would return to, if one is kept. */
  public Optional<String> previousModelId() {
    Slot s = shadow;
    Reembedding r = reembedding;
    boolean rollbackTarget = s != null && (r == null || r.finished().isDone());
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
      Slot previous = shadow;
      if (previous != null) { // the rollback target gives way to the new model
        shadow = null;
        close(previous);
      }
      String dir = "models/" + next.modelId().replaceAll("[^A-Za-z0-9._-]", "_");
      backend.drop(root, dir); // what a killed re-embedding left
      Slot target = new Slot(dir, modelDir.toAbsolutePath().toString(), open(dir, next), next);
      shadow = target;
      reembedding = new Reembedding(this, serving, target, chunksPerSecond);
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
      new ServingState(target.dir(), target.modelDir(), source.dir(), source.modelDir())
          .write(root);
      serving = target;
      shadow = source;
      LOG.info("serving {} (was {})", target.embedder().modelId(), source.embedder().modelId());
    }
  }

  /** Drops an unfinished re-embedding: its index is deleted, the serving model stays. */
  void abandon(Slot target) {
    synchronized (writeLock) {
      if (shadow == target) {
        shadow = null;
        target.index().close();
        target.embedder().close();
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
      if (previous == null) {
        throw new ContextException("no previous model to roll back to");
      }
      Slot current = serving;
      previous.index().commit(current.index().checkpoint());
      new ServingState(previous.dir(), previous.modelDir(), current.dir(), current.modelDir())
          .write(root);
      serving = previous;
      shadow = current;
      LOG.info("rolled back to {}", previous.embedder().modelId());
      return previous.embedder().modelId();
    }
  }

  /** Cancels a re-embedding under way, then closes every index and every model it loaded. */
  @Override
  public void close() {
    Reembedding running = reembedding;
    if (running != null) {
      running.cancel();
    }
    synchronized (writeLock) {
      for (Slot slot : slots()) {
        close(slot);
      }
    }
  }

  private void close(Slot slot) {
    slot.index().close();
    if (slot.embedder() != base) {
      slot.embedder().close();
    }
  }
}
