package dev.anvil.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.store.TestStores.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Opening the store, transactions, durability, and what its messages never show. */
class StoreTest {
  @TempDir Path dir;

  private static final Migrations THINGS =
      Migrations.of(
          "things", new Migration(1, "things", "CREATE TABLE thing (id VARCHAR(64) PRIMARY KEY);"));

  private static int count(Store store) {
    return store.transaction(
        c -> {
          try (ResultSet r = c.createStatement().executeQuery("SELECT COUNT(*) FROM thing")) {
            r.next();
            return r.getInt(1);
          }
        });
  }

  @Test
  void theEmbeddedStoreIsOneFileInTheDataDirectory() throws Exception {
    try (Store store = Store.open(StoreConfig.embedded(dir))) {
      store.migrate(THINGS);
      assertThat(store.dialect()).isEqualTo(Dialect.H2);
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("anvil-store.mv.db");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void whatACommittedTransactionWroteSurvivesAReopen(Backend backend) {
    StoreConfig config = TestStores.config(backend, dir);
    try (Store store = Store.open(config)) {
      store.migrate(THINGS);
      store.transaction(c -> c.createStatement().executeUpdate("INSERT INTO thing VALUES ('a')"));
    }
    try (Store store = Store.open(config)) {
      assertThat(store.migrate(THINGS)).isZero();
      assertThat(count(store)).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aTransactionThatThrowsLeavesNothing(Backend backend) {
    try (Store store = TestStores.open(backend, dir)) {
      store.migrate(THINGS);
      assertThatThrownBy(
              () ->
                  store.transaction(
                      c -> {
                        c.createStatement().executeUpdate("INSERT INTO thing VALUES ('a')");
                        throw new IllegalStateException("changed my mind");
                      }))
          .hasMessage("changed my mind");
      assertThat(count(store)).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aDuplicateKeyIsToldApartFromOtherFailures(Backend backend) {
    try (Store store = TestStores.open(backend, dir)) {
      store.migrate(THINGS);
      store.transaction(c -> c.createStatement().executeUpdate("INSERT INTO thing VALUES ('a')"));
      boolean duplicate =
          store.transaction(
              c -> {
                try {
                  c.createStatement().executeUpdate("INSERT INTO thing VALUES ('a')");
                  return false;
                } catch (SQLException e) {
                  return Store.isUniqueViolation(e);
                }
              });
      assertThat(duplicate).isTrue();
      assertThatThrownBy(
              () -> store.transaction(c -> c.createStatement().executeQuery("SELECT nope")))
          .isInstanceOf(StoreException.class)
          .isNotInstanceOf(RetriableStoreException.class);
    }
  }

  @Test
  void aUrlOfAnotherDatabaseIsRefusedNamingTheSupportedOnes() {
    assertThatThrownBy(() -> new StoreConfig("jdbc:mysql://db/anvil?password=hunter2", "", "", 4))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("expected jdbc:h2:file:... (embedded) or jdbc:postgresql://HOST/DB")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void aWrongPasswordIsRefusedAtOpenWithoutShowingIt() {
    StoreConfig good = PostgresServer.newDatabase();
    StoreConfig bad = new StoreConfig(good.url(), "nobody-here", "s3cret-pw", 2);
    assertThat(bad.toString()).doesNotContain("s3cret-pw");
    assertThatThrownBy(() -> Store.open(bad))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("cannot open the store")
        .hasMessageNotContaining("s3cret-pw");
  }

  @Test
  void theEmbeddedFileIsServedToOtherProcessesOnLoopbackOnly() throws Exception {
    try (Store first = Store.open(StoreConfig.embedded(dir))) {
      first.migrate(THINGS);
      // H2 writes where it serves the file to other processes of the machine in its lock file.
      java.util.Properties lock = new java.util.Properties();
      try (var in = Files.newInputStream(dir.resolve("anvil-store.lock.db"))) {
        lock.load(in);
      }
      String server = lock.getProperty("server");
      assertThat(server).matches("(localhost|127\\.0\\.0\\.1):\\d+");
      int port = Integer.parseInt(server.substring(server.indexOf(':') + 1));
      new java.net.Socket("127.0.0.1", port).close(); // listening there
      java.util.List<java.net.InetAddress> others =
          java.net.NetworkInterface.networkInterfaces()
              .flatMap(java.net.NetworkInterface::inetAddresses)
              .filter(a -> !a.isLoopbackAddress() && !a.isLinkLocalAddress())
              .toList();
      org.junit.jupiter.api.Assumptions.assumeFalse(
          others.isEmpty(), "this machine has no address besides loopback to try");
      for (java.net.InetAddress other : others) {
        assertThatThrownBy(() -> new java.net.Socket(other, port).close())
            .as("reached on %s", other)
            .isInstanceOf(java.net.ConnectException.class);
      }
    }
  }
}
