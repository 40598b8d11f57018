package dev.anvil.context.embed;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ONNX Runtime sessions of one model that run batches side by side. On few cores, sessions of one
 * thread each beat one session whose operators split over the threads (measured on 2 cores: no
 * synchronisation per operator, and each session pads only its own short batch). Each session holds
 * its own copy of the weights. Thread-safe: a caller runs on a free session, and the other free
 * sessions help with its batches.
 */
final class SessionPool implements AutoCloseable {
  /** A unit of work on one session. */
  interface Task {
    void run(OrtSession session, int item) throws OrtException;
  }

  private final List<OrtSession> all = new ArrayList<>();
  private final BlockingQueue<OrtSession> idle;
  private final ExecutorService helpers;

  /**
   * Opens {@code parallelism.sessions()} sessions of {@code model}.
   *
   * @throws OrtException if one cannot be created (none stays open)
   */
  SessionPool(OrtEnvironment env, byte[] model, Parallelism parallelism) throws OrtException {
    idle = new ArrayBlockingQueue<>(parallelism.sessions());
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(parallelism.threadsPerSession());
      options.setInterOpNumThreads(1);
      // Spinning threads burn the few cores that ingest and search share (measured: 2 spinning
      // threads were slower than 1).
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      for (int i = 0; i < parallelism.sessions(); i++) {
        all.add(env.createSession(model, options));
      }
    } catch (OrtException | RuntimeException e) {
      close();
      throw e;
    }
    idle.addAll(all);
    helpers =
        all.size() == 1
            ? null
            : Executors.newFixedThreadPool(
                all.size() - 1,
                r -> {
                  Thread t = new Thread(r, "anvil-embed");
                  t.setDaemon(true);
                  return t;
                });
  }

  /** How many sessions there are. */
  int size() {
    return all.size();
  }

  /** One of the sessions, for what they all share (input and output names). */
  OrtSession any() {
    return all.getFirst();
  }

  /**
   * Runs {@code task} for every item in {@code [0, items)}, each once: on a session the caller
   * waits for, and on any other session free now, taking items in order. Returns when all ran.
   *
   * @throws OrtException the first failure (the remaining items are not run)
   */
  void forEach(int items, Task task) throws OrtException {
    AtomicInteger next = new AtomicInteger();
    List<Future<?>> helping = new ArrayList<>();
    if (helpers != null && items > 1) {
      for (int h = 0; h < Math.min(all.size(), items) - 1; h++) {
        helping.add(
            helpers.submit(
                () -> {
                  OrtSession s = idle.poll();
                  if (s != null) { // else other callers use them all: no help to give
                    work(s, next, items, task);
                  }
                  return null;
                }));
      }
    }
    OrtSession mine;
    try {
      mine = idle.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      next.set(items); // stop the helpers
      throw new OrtException("interrupted while waiting for an embedding session");
    }
    OrtException failed = null;
    RuntimeException broke = null;
    try {
      work(mine, next, items, task);
    } catch (OrtException e) {
      failed = e;
    } catch (RuntimeException e) {
      broke = e;
    }
    for (Future<?> f : helping) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (failed == null && broke == null) {
          switch (e.getCause()) {
            case OrtException o -> failed = o;
            case RuntimeException r -> broke = r;
            default -> broke = new IllegalStateException(e.getCause());
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        next.set(items);
      }
    }
    if (broke != null) {
      throw broke;
    }
    if (failed != null) {
      throw failed;
    }
  }

  /** Runs items on {@code session} until none is left, then gives the session back. */
  private void work(OrtSession session, AtomicInteger next, int items, Task task)
      throws OrtException {
    try {
      for (int i = next.getAndIncrement(); i < items; i = next.getAndIncrement()) {
        task.run(session, i);
      }
    } catch (OrtException | RuntimeException e) {
      next.set(items); // the other sessions stop too
      throw e;
    } finally {
      idle.add(session);
    }
  }

  @Override
  public void close() {
    if (helpers != null) {
      helpers.shutdownNow();
    }
    OrtException failed = null;
    for (OrtSession s : all) {
      try {
        s.close();
      } catch (OrtException e) {
        failed = e;
      }
    }
    if (failed != null) {
      throw new IllegalStateException("closing an ONNX session failed", failed);
    }
  }
}
