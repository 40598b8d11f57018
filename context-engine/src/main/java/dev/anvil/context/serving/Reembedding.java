package dev.anvil.context.serving;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.InvalidTagsException;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A re-embedding under way (see {@link ServingIndexes#reembed}): a background thread reads every
 * document of the serving index, embeds its chunks with the new model, and writes them to the new
 * index, then the engine switches. Progress is visible; {@link #finished} completes with the new
 * model's id, or exceptionally if it failed or was cancelled (the serving model then stays).
 */
public final class Reembedding {
  private static final Logger LOG = LoggerFactory.getLogger(Reembedding.class);

  private final ServingIndexes indexes;
  private final PolicyStore policies;
  private final Slot source;
  private final Slot target;
  private final double chunksPerSecond;
  private final java.time.Duration settle;
  private final AtomicLong done = new AtomicLong();
  private volatile long total;
  private volatile boolean cancelled;
  private final CompletableFuture<String> finished = new CompletableFuture<>();

  /**
   * Starts the thread.
   *
   * @param settle how long to wait before reading the source: other replicas sharing the index
   *     start writing to the target meanwhile; non-zero also compares both indexes at the end and
   *     copies again what another replica changed in between
   */
  Reembedding(
      ServingIndexes indexes,
      PolicyStore policies,
      Slot source,
      Slot target,
      double chunksPerSecond,
      java.time.Duration settle) {
    this.settle = settle;
    this.indexes = indexes;
    this.policies = policies;
    this.source = source;
    this.target = target;
    this.chunksPerSecond = chunksPerSecond;
    Thread t = new Thread(this::run, "anvil-reembed");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Refuses a model that would cut other chunks than the index holds: a re-embedding keeps the
   * chunks, so {@code next} must use {@code base}'s tokenizer and token limit.
   *
   * @throws ContextException naming both models, if it does not
   */
  static void requireSameChunks(Embedder next, Embedder base) {
    String probe = "Anvil re-embeds every chunk with the new model: één, 2027, naïve.";
    if (next.maxTokens() != base.maxTokens()
        || next.countTokens(probe) != base.countTokens(probe)) {
      throw new ContextException(
          next.modelId()
              + ": re-embedding keeps the index's chunks, so the model must use the same"
              + " tokenizer and token limit as "
              + base.modelId()
              + "; re-ingest the documents to change them");
    }
  }

  /** The model being switched to. */
  public String modelId() {
    return target.embedder().modelId();
  }

  /** Chunks re-embedded so far. */
  public long done() {
    return done.get();
  }

  /** Chunks to re-embed (known once the run has listed them; 0 before). */
  public long total() {
    return total;
  }

  /** Completes with the new model's id once it serves. */
  public CompletableFuture<String> finished() {
    return finished;
  }

  /** Stops; the index built so far is deleted and the serving model stays. */
  public void cancel() {
    cancelled = true;
  }

  /**
   * The documents whose indexed version differs between the source and the target: what another
   * replica wrote before it followed the record to the target, to copy again before the switch. One
   * version read per document and index.
   */
  private List<String> differing() {
    indexes.underWriteLock(
        () -> {
          source.index().refresh();
          target.index().refresh();
          return null;
        });
    java.util.Set<String> ids = new java.util.TreeSet<>(source.index().documents().keySet());
    ids.addAll(target.index().documents().keySet());
    List<String> out = new java.util.ArrayList<>();
    for (String id : ids) {
      if (!source.index().version(id).equals(target.index().version(id))) {
        out.add(id);
      }
    }
    return out;
  }

  /** Deletes {@code id} from the target if the source has no such document (any more). */
  private void deleteMissing(String id) {
    indexes.underWriteLock(
        () -> {
          if (indexes.shadows(target) && source.index().version(id).isEmpty()) {
            target.index().delete(id);
          }
          return null;
        });
  }

  /** Copies one document into the target; returns its chunks (0: it is not in the source). */
  private int copy(String id) {
    // Raw tags only: the schema check happens when the copy is written.
    List<ChunkRecord> chunks = source.index().chunksOf(id, policies.current().schema());
    if (chunks.isEmpty()) {
      return 0; // deleted since it was listed
    }
    float[][] vectors =
        target.embedder().embedDocuments(chunks.stream().map(ChunkRecord::embeddedText).toList());
    write(chunks, vectors);
    return chunks.size();
  }

  /**
   * Writes one document's chunks into the target with their new vectors, unless it changed
   * meanwhile (the dual write then gave the target its state) or the re-embedding was cancelled.
   */
  private void write(List<ChunkRecord> chunks, float[][] vectors) {
    ChunkRecord first = chunks.getFirst();
    DocTags tags;
    try {
      tags = policies.current().schema().validate(first.rawTags());
    } catch (InvalidTagsException e) {
      return; // tags the schema no longer accepts: not served either way
    }
    indexes.underWriteLock(
        () -> {
          if (!indexes.shadows(target)) {
            return null; // cancelled
          }
          source.index().refresh();
          OptionalLong now = source.index().version(first.id());
          if (now.isEmpty() || now.getAsLong() != first.version()) {
            return null; // deleted or replaced since: the dual write gave the target its state
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
          return null;
        });
  }

  private void run() {
    try {
      if (!settle.isZero()) {
        Thread.sleep(settle.toMillis());
      }
      Map<String, Long> docs = source.index().documents();
      total = docs.values().stream().mapToLong(Long::longValue).sum();
      LOG.info("re-embedding {} chunks with {}", total, modelId());
      long started = System.nanoTime();
      for (String id : docs.keySet()) {
        if (cancelled) {
          throw new ContextException("re-embedding to " + modelId() + " cancelled");
        }
        long n = done.addAndGet(copy(id));
        if (chunksPerSecond > 0) { // throttle: never ahead of the allowed rate
          long due = started + (long) (n / chunksPerSecond * 1e9);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
        }
      }
      if (cancelled) {
        throw new ContextException("re-embedding to " + modelId() + " cancelled");
      }
      if (!settle.isZero()) {
        List<String> again = differing();
        LOG.info(
            "{} documents changed by other replicas meanwhile; copying them again", again.size());
        for (String id : again) {
          if (copy(id) == 0) {
            deleteMissing(id);
          }
        }
      }
      indexes.switchTo(source, target);
      finished.complete(modelId());
    } catch (Exception | Error e) {
      LOG.error("re-embedding to {} stopped; the serving model stays: {}", modelId(), e.toString());
      try {
        indexes.abandon(target);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup); // e.g. the engine closed: a redo drops what is left
      } finally {
        finished.completeExceptionally(e);
      }
    }
  }
}
