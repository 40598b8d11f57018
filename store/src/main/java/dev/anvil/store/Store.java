package dev.anvil.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.anvil.store.internal.Migrator;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Set;

/**
 * Anvil's store: a pool of JDBC connections to the embedded H2 file or to PostgreSQL, and
 * transactions over it. Each component calls {@link #migrate} with its schema once at start.
 *
 * <p>Thread-safe. Every call takes a connection from the pool and gives it back.
 */
public final class Store implements AutoCloseable {
  /**
   * SQL states a retry can cure: connection failures (class 08), serialization failure, deadlock.
   */
  private static final Set<String> RETRIABLE = Set.of("40001", "40P01");

  /** The system property H2 binds its automatic-mixed-mode server to (see StoreConfig). */
  static final String H2_BIND_ADDRESS = "h2.bindAddress";

  private final StoreConfig config;
  private final HikariDataSource pool;

  private Store(StoreConfig config, HikariDataSource pool) {
    this.config = config;
    this.pool = pool;
  }

  /**
   * Opens the store (the embedded file is created if absent) and checks that it answers.
   *
   * @throws StoreException if it cannot be reached (say, the embedded file is open in another
   *     process), with the database's reason
   */
  public static Store open(StoreConfig config) {
    Objects.requireNonNull(config, "config");
    if (config.url().toUpperCase(java.util.Locale.ROOT).contains("AUTO_SERVER=TRUE")) {
      requireLoopbackH2Server();
    }
    HikariConfig h = new HikariConfig();
    h.setJdbcUrl(config.url());
    if (!config.user().isEmpty()) {
      h.setUsername(config.user());
    }
    if (!config.password().isEmpty()) {
      h.setPassword(config.password());
    }
    h.setMaximumPoolSize(config.maxConnections());
    h.setMinimumIdle(Math.min(2, config.maxConnections()));
    h.setPoolName("anvil-store");
    h.setAutoCommit(false);
    h.setConnectionTimeout(10_000);
    // Fail at open, with the database's reason, rather than at the first call.
    h.setInitializationFailTimeout(10_000);
    try {
      return new Store(config, new HikariDataSource(h));
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StoreException(
          "cannot open the store " + config + ": " + cause.getMessage(), cause);
    }
  }

  /**
   * H2 reads its bind address once, when its classes load: if something loaded H2 before {@link
   * StoreConfig} set it, its automatic-mixed-mode server would listen on every interface. Refuse.
   */
  private static void requireLoopbackH2Server() {
    String bound = org.h2.engine.SysProperties.BIND_ADDRESS;
    if (!"127.0.0.1".equals(bound)) {
      throw new StoreException(
          "the embedded store serves other local processes on a loopback port, but H2 was loaded"
              + " with h2.bindAddress="
              + bound
              + ": expected 127.0.0.1 (set -Dh2.bindAddress=127.0.0.1)");
    }
  }

  /** Which database this is. */
  public Dialect dialect() {
    return config.dialect();
  }

  /**
   * Brings {@code migrations}' component to its latest version: applies the steps not applied yet,
   * in order, each with its record in {@code anvil_schema_version}. Replicas starting together
   * apply each step once (PostgreSQL: under an advisory lock).
   *
   * @return the steps applied now (0 if the schema was current)
   * @throws StoreException if a step applied earlier has changed since (its checksum), if the store
   *     was migrated by a newer Anvil (a version this one does not know), or if a step fails
   *     (naming it)
   */
  public int migrate(Migrations migrations) {
    try (Connection c = pool.getConnection()) {
      return new Migrator(c, dialect()).migrate(migrations);
    } catch (SQLException e) {
      throw translate("migrating " + migrations.component(), e);
    }
  }

  /** One unit of work on a connection; what it returns is returned by the transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction: committed if it returns, rolled back if it throws.
   *
   * @throws RetriableStoreException for a failure a retry can cure
   * @throws StoreException for any other database failure
   */
  public <T> T transaction(Work<T> work) {
    try (Connection c = pool.getConnection()) {
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
    } catch (SQLException e) {
      throw translate("store", e);
    }
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException r) {
      cause.addSuppressed(r);
    }
  }

  /** Whether a statement failed on a unique key or primary key: another row had the same. */
  public static boolean isUniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  /** A database failure as the store's exception, retriable where a retry can help. */
  public static StoreException translate(String what, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String message = what + ": " + e.getMessage() + " (SQL state " + state + ")";
    return state.startsWith("08") || RETRIABLE.contains(state)
        ? new RetriableStoreException(message, e)
        : new StoreException(message, e);
  }

  @Override
  public void close() {
    pool.close();
  }

  @Override
  public String toString() {
    return config.toString();
  }
}
