package dev.anvil.rbac;

import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.input.RbacException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the policy set in force and replaces it atomically on reload. A set that fails to load is
 * refused with the reason logged, and the one in force stays: a broken edit never opens or closes
 * access.
 *
 * <p>Thread-safe. Readers call {@link #current()} once per request and use that set for the whole
 * request, so a request never mixes two versions.
 */
public final class PolicyStore {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyStore.class);

  private final Supplier<PolicySet> loader;
  private final AtomicReference<PolicySet> current;
  private String lastRefusal; // guarded by this
  private volatile ReloadResult lastReload;

  /**
   * A store whose policies come from {@code loader}.
   *
   * @param loader loads a fresh set, throwing {@link RbacException} (or an unchecked I/O error)
   *     when the source is broken
   * @throws RbacException if the first load fails: there is nothing to fall back on
   */
  public PolicyStore(Supplier<PolicySet> loader) {
    this.loader = Objects.requireNonNull(loader, "loader");
    this.current = new AtomicReference<>(loader.get());
    LOG.info("policy set {} in force", current.get().version());
  }

  /** A store over a policy pack directory. */
  public static PolicyStore open(PolicyPack pack) {
    return new PolicyStore(pack::load);
  }

  /** The policy set in force. */
  public PolicySet current() {
    return current.get();
  }

  /** What a reload did. */
  public sealed interface ReloadResult permits Reloaded, Unchanged, Refused {
    /** The version in force after the reload. */
    String versionInForce();
  }

  /** A new version is in force. */
  public record Reloaded(String previousVersion, String versionInForce) implements ReloadResult {}

  /** The sources did not change. */
  public record Unchanged(String versionInForce) implements ReloadResult {}

  /** The new sources were refused; the previous version stays in force. */
  public record Refused(String versionInForce, String reason, List<Problem> problems)
      implements ReloadResult {
    public Refused {
      problems = List.copyOf(problems);
    }
  }

  /**
   * What the last reload did (a periodic one too), if any ran: how an operator, or a test, sees
   * that a broken edit was read and refused rather than never read.
   */
  public Optional<ReloadResult> lastReload() {
    return Optional.ofNullable(lastReload);
  }

  /** Loads the sources again and swaps them in if they are valid and different. */
  public synchronized ReloadResult reload() {
    lastReload = load();
    return lastReload;
  }

  private ReloadResult load() {
    PolicySet old = current.get();
    PolicySet next;
    try {
      next = loader.get();
    } catch (RuntimeException e) {
      List<Problem> problems = e instanceof PolicyLoadException p ? p.problems() : List.of();
      if (!Objects.equals(e.getMessage(), lastRefusal)) { // a periodic reload logs it once
        LOG.error("refused new policies; keeping {} in force: {}", old.version(), e.getMessage());
      }
      lastRefusal = e.getMessage();
      return new Refused(old.version(), e.getMessage(), problems);
    }
    lastRefusal = null;
    if (next.version().equals(old.version())) {
      return new Unchanged(old.version());
    }
    current.set(next);
    LOG.info("policy set {} in force (was {})", next.version(), old.version());
    return new Reloaded(old.version(), next.version());
  }

  /**
   * Reloads every {@code interval} on a daemon thread until closed: how a server follows a policy
   * pack that is edited in place (a Kubernetes ConfigMap volume swaps its files atomically). Each
   * reload is the same as {@link #reload()}: a broken pack is refused and logged.
   */
  public AutoCloseable reloadEvery(Duration interval) {
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "anvil-policy-reload");
              t.setDaemon(true);
              return t;
            });
    long millis = interval.toMillis();
    timer.scheduleWithFixedDelay(this::reload, millis, millis, TimeUnit.MILLISECONDS);
    return timer::shutdownNow;
  }
}
