package dev.anvil.context.serving;

import dev.anvil.context.embed.Embedder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Gives searches the CPU before ingest's embedding. Embedding a batch of documents can take seconds
 * of both cores; a search waiting behind it would too. So each search holds a turn while it runs,
 * and ingest embeds its chunks a few at a time, waiting before each slice while searches run (for
 * at most {@code maxWait}, so that ingest still progresses under sustained search load). Without
 * searches, ingest embeds in full batches and never waits. Thread-safe.
 */
public final class SearchesFirst {
  /** Texts embedded between two looks at the searches, while searches run. */
  static final int SLICE_UNDER_LOAD = 4;

  /** Texts embedded in one call while no search runs (the embedder's own batching applies). */
  static final int SLICE_IDLE = 64;

  private final AtomicInteger running = new AtomicInteger();
  private final Object quiet = new Object();
  private final long maxWaitNanos;

  /**
   * @param maxWaitMillis the longest ingest waits for searches before each slice
   */
  public SearchesFirst(long maxWaitMillis) {
    this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
  }

  /** A search's turn, held while it runs; closing it ends the turn. */
  public interface Turn extends AutoCloseable {
    @Override
    void close();
  }

  /** Starts a search's turn. */
  public Turn search() {
    running.incrementAndGet();
    return () -> {
      if (running.decrementAndGet() == 0) {
        synchronized (quiet) {
          quiet.notifyAll();
        }
      }
    };
  }

  /** Searches running now. */
  public int searching() {
    return running.get();
  }

  /**
   * Embeds {@code texts} as documents (ingest's and re-embedding's texts to index), as background
   * work: in slices, each after the searches running have finished (or {@code maxWait} passed).
   */
  public float[][] embedDocuments(Embedder embedder, List<String> texts) {
    float[][] out = new float[texts.size()][];
    int done = 0;
    while (done < texts.size()) {
      boolean waited = awaitQuiet();
      int n = Math.min(texts.size() - done, waited ? SLICE_UNDER_LOAD : SLICE_IDLE);
      float[][] slice = embedder.embedDocuments(new ArrayList<>(texts.subList(done, done + n)));
      System.arraycopy(slice, 0, out, done, n);
      done += n;
    }
    return out;
  }

  /** Waits while searches run, at most {@code maxWait}; true if any were running. */
  private boolean awaitQuiet() {
    if (running.get() == 0) {
      return false;
    }
    long end = System.nanoTime() + maxWaitNanos;
    synchronized (quiet) {
      long left;
      while (running.get() > 0 && (left = end - System.nanoTime()) > 0) {
        try {
          TimeUnit.NANOSECONDS.timedWait(quiet, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    return true;
  }
}
