package dev.anvil.context.serving;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What following a shared record takes besides reading it: the timer that follows it every
 * interval, and the slots taken out of service, closed once no search can still hold them (a search
 * takes the serving slot once and may run for up to a request timeout). The timer is thread-safe;
 * the retired slots are touched under the owner's write lock only.
 */
final class Following implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Following.class);

  /** How long a slot out of service stays open: longer than any search runs. */
  static final Duration GRACE = Duration.ofMinutes(2);

  private final Consumer<Slot> closer;
  private final List<Map.Entry<Slot, Long>> retired = new ArrayList<>();
  private final List<ScheduledExecutorService> timers =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile Duration interval = Duration.ZERO;

  Following(Consumer<Slot> closer) {
    this.closer = closer;
  }

  /** Runs {@code follow} every {@code every} on a daemon thread; a failure is logged, retried. */
  AutoCloseable every(Duration every, Runnable follow) {
    AutoCloseable timer =
        repeat(every, "cannot follow the cluster's serving index; serving as before", follow);
    interval = Duration.ofMillis(Math.max(1, every.toMillis()));
    return timer;
  }

  /**
   * Runs {@code task} every {@code every} on a daemon thread until {@link #stop}; a failure is
   * logged after {@code failing}, and retried.
   */
  AutoCloseable repeat(Duration every, String failing, Runnable task) {
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "anvil-serving-follow");
              t.setDaemon(true);
              return t;
            });
    long millis = Math.max(1, every.toMillis());
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            task.run();
          } catch (RuntimeException e) {
            LOG.error("{}: {}", failing, e.toString());
          }
        },
        millis,
        millis,
        TimeUnit.MILLISECONDS);
    timers.add(timer);
    return timer::shutdownNow;
  }

  /** The interval of the last {@link #every}; zero if none. */
  Duration interval() {
    return interval;
  }

  /** {@code slot} left service now. */
  void retire(Slot slot) {
    retired.add(Map.entry(slot, System.nanoTime()));
  }

  /** Closes the slots out of service for longer than {@link #GRACE}. */
  void closeExpired() {
    long now = System.nanoTime();
    retired.removeIf(
        e -> {
          if (now - e.getValue() < GRACE.toNanos()) {
            return false;
          }
          closer.accept(e.getKey());
          return true;
        });
  }

  /** Stops the timers (first, before the owner closes what they follow). */
  void stop() {
    timers.forEach(ScheduledExecutorService::shutdownNow);
  }

  /** Stops the timers and closes every slot out of service. */
  @Override
  public void close() {
    stop();
    retired.forEach(e -> closer.accept(e.getKey()));
    retired.clear();
  }
}
