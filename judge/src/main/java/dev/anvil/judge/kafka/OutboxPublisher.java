package dev.anvil.judge.kafka;

import dev.anvil.judge.internal.Outbox;
import dev.anvil.judge.spi.JudgmentEvents;
import dev.anvil.store.Store;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the store's outbox of judgment events, oldest first, and removes what was acknowledged. A
 * failure (broker away) is retried, so an event is sent at least once; a repeat carries the same
 * event id, which consumers drop duplicates by. One thread; {@link #close} stops it.
 */
public final class OutboxPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(OutboxPublisher.class);
  private static final int BATCH = 200;

  private final Store store;
  private final JudgmentEvents events;
  private final Duration idle;
  private final Thread thread;
  private final AtomicLong sent = new AtomicLong();
  private volatile boolean running = true;

  private OutboxPublisher(Store store, JudgmentEvents events, Duration idle) {
    this.store = store;
    this.events = events;
    this.idle = idle;
    this.thread = Thread.ofPlatform().daemon().name("anvil-judgment-outbox").unstarted(this::run);
  }

  /** Starts sending; {@code idle} is the pause when the outbox is empty or sending failed. */
  public static OutboxPublisher start(Store store, JudgmentEvents events, Duration idle) {
    OutboxPublisher p = new OutboxPublisher(store, events, idle);
    p.thread.start();
    return p;
  }

  /** Events sent and acknowledged since the start. */
  public long sent() {
    return sent.get();
  }

  private void run() {
    while (running) {
      boolean more;
      try {
        more = sendOnce();
      } catch (RuntimeException e) {
        LOG.warn("judgment events not sent yet, retrying: {}", e.getMessage());
        more = false;
      }
      if (!more) {
        try {
          Thread.sleep(idle);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  /** Sends one batch; whether there may be more. */
  private boolean sendOnce() {
    List<Outbox.Pending> batch = store.transaction(c -> Outbox.oldest(c, BATCH));
    if (batch.isEmpty()) {
      return false;
    }
    events.send(batch.stream().map(Outbox.Pending::event).toList());
    store.transaction(
        c -> {
          Outbox.remove(c, batch);
          return null;
        });
    sent.addAndGet(batch.size());
    return batch.size() == BATCH;
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
