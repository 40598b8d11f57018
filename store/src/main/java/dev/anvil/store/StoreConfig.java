package dev.anvil.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the store is and how to log in.
 *
 * @param url a JDBC URL: {@code jdbc:h2:file:...} or {@code jdbc:postgresql://host:5432/anvil}
 * @param user the database user ("" for the embedded store)
 * @param password its password ("" for none); never logged nor shown in messages
 * @param maxConnections connections the pool holds at most (1 to 64)
 */
public record StoreConfig(String url, String user, String password, int maxConnections) {
  /** The file of the embedded store in a data directory, without H2's {@code .mv.db} suffix. */
  public static final String EMBEDDED_NAME = "anvil-store";

  /** Connections of the pool unless said otherwise. */
  public static final int DEFAULT_MAX_CONNECTIONS = 8;

  public StoreConfig {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    Dialect.of(url);
    if (maxConnections < 1 || maxConnections > 64) {
      throw new StoreException("max connections: expected 1 to 64, was " + maxConnections);
    }
  }

  static {
    // H2's automatic mixed mode (AUTO_SERVER) lets a second process of the same machine (a CLI
    // command while a worker runs) open the file through the first one's TCP server. H2 binds that
    // server to this address, read once when H2 loads: loopback, never every interface.
    if (System.getProperty(Store.H2_BIND_ADDRESS) == null) {
      System.setProperty(Store.H2_BIND_ADDRESS, "127.0.0.1");
    }
  }

  /**
   * The embedded store: one file, {@code anvil-store.mv.db}, in {@code dataDir}. H2 runs in
   * PostgreSQL mode so that the same SQL serves both databases. Several processes of one machine
   * may open it at once: the first serves it to the others on a loopback port.
   */
  public static StoreConfig embedded(Path dataDir) {
    Path file = dataDir.toAbsolutePath().resolve(EMBEDDED_NAME);
    return new StoreConfig(
        "jdbc:h2:file:"
            + file
            + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;AUTO_SERVER=TRUE",
        "",
        "",
        DEFAULT_MAX_CONNECTIONS);
  }

  /** A PostgreSQL store. */
  public static StoreConfig postgres(String url, String user, String password) {
    return new StoreConfig(url, user, password, DEFAULT_MAX_CONNECTIONS);
  }

  /** The dialect of {@link #url}. */
  public Dialect dialect() {
    return Dialect.of(url);
  }

  @Override
  public String toString() {
    return "StoreConfig[" + Dialect.redact(url) + ", user=" + user + "]"; // never the password
  }
}
