package dev.anvil.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.store.TestStores.Backend;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Versioned schema migrations, on the embedded H2 file and on a real PostgreSQL server alike. */
class MigrationsTest {
  @TempDir Path dir;

  static final Migration V1 =
      new Migration(
          1,
          "things",
          """
          -- the first table
          CREATE TABLE thing (
            id VARCHAR(64) PRIMARY KEY,
            name VARCHAR(200) NOT NULL
          );
          """);
  static final Migration V2 =
      new Migration(
          2, "thing sizes", "ALTER TABLE thing ADD COLUMN size INTEGER NOT NULL DEFAULT 0;");

  private static List<String> versions(Store store, String component) {
    return store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT version, description FROM anvil_schema_version"
                      + " WHERE component = ? ORDER BY version")) {
            s.setString(1, component);
            List<String> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
              while (r.next()) {
                out.add(r.getInt(1) + " " + r.getString(2));
              }
            }
            return out;
          }
        });
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void appliesStepsInOrderOnceAndRecordsEach(Backend backend) {
    try (Store store = TestStores.open(backend, dir)) {
      assertThat(store.migrate(Migrations.of("things", V1, V2))).isEqualTo(2);
      assertThat(store.migrate(Migrations.of("things", V1, V2))).isZero();
      store.transaction(
          c -> c.createStatement().executeUpdate("INSERT INTO thing VALUES ('a', 'A', 3)"));
      assertThat(versions(store, "things")).containsExactly("1 things", "2 thing sizes");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aNewerAnvilAppliesOnlyItsNewSteps(Backend backend) {
    try (Store store = TestStores.open(backend, dir)) {
      assertThat(store.migrate(Migrations.of("things", V1))).isEqualTo(1);
      store.transaction(
          c -> c.createStatement().executeUpdate("INSERT INTO thing (id, name) VALUES ('a', 'A')"));
      assertThat(store.migrate(Migrations.of("things", V1, V2))).isEqualTo(1);
      int size =
          store.transaction(
              c -> {
                try (ResultSet r =
                    c.createStatement().executeQuery("SELECT size FROM thing WHERE id = 'a'")) {
                  r.next();
                  return r.getInt(1);
                }
              });
      assertThat(size).as("the row written before the step kept, with the new column").isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void refusesAStepChangedAfterItWasApplied(Backend backend) {
    try (Store store = TestStores.open(backend, dir)) {
      store.migrate(Migrations.of("things", V1));
      Migration edited =
          new Migration(1, "things", "CREATE TABLE thing (id VARCHAR(80) PRIMARY KEY);");
      assertThatThrownBy(() -> store.migrate(Migrations.of("things", edited)))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("things migration 1 was changed after it was applied")
          .hasMessageContaining(V1.checksum())
          .hasMessageContaining(edited.checksum());
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void refusesAStoreThatANewerAnvilMigrated(Backend backend) {
    try (Store store = TestStores.open(backend, dir)) {
      store.migrate(Migrations.of("things", V1, V2));
      assertThatThrownBy(() -> store.migrate(Migrations.of("things", V1)))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("things schema is at version 2")
          .hasMessageContaining("knows versions up to 1");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aFailingStepNamesItselfIsNotRecordedAndRunsOnceFixed(Backend backend) {
    try (Store store = TestStores.open(backend, dir)) {
      store.migrate(Migrations.of("things", V1));
      Migration broken = new Migration(2, "thing sizes", "ALTER TABLE no_such_table ADD x INT;");
      assertThatThrownBy(() -> store.migrate(Migrations.of("things", V1, broken)))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("things migration 2 (thing sizes) failed at statement 1");
      assertThat(versions(store, "things")).containsExactly("1 things");
      assertThat(store.migrate(Migrations.of("things", V1, V2))).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void eachComponentHasVersionsOfItsOwn(Backend backend) {
    try (Store store = TestStores.open(backend, dir)) {
      store.migrate(Migrations.of("things", V1, V2));
      Migration other = new Migration(1, "jobs", "CREATE TABLE job (id VARCHAR(64) PRIMARY KEY);");
      assertThat(store.migrate(Migrations.of("jobs", other))).isEqualTo(1);
      assertThat(versions(store, "jobs")).containsExactly("1 jobs");
      assertThat(versions(store, "things")).hasSize(2);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void replicasStartingTogetherApplyEachStepOnce(Backend backend) throws Exception {
    StoreConfig shared = TestStores.config(backend, dir);
    int replicas = 4;
    ExecutorService pool = Executors.newFixedThreadPool(replicas);
    List<Store> stores = new ArrayList<>();
    try {
      List<Callable<Integer>> starts = new ArrayList<>();
      for (int i = 0; i < replicas; i++) {
        Store s = Store.open(shared);
        stores.add(s);
        starts.add(() -> s.migrate(Migrations.of("things", V1, V2)));
      }
      int applied = 0;
      for (Future<Integer> f : pool.invokeAll(starts)) {
        applied += f.get();
      }
      assertThat(applied).as("steps applied, all replicas together").isEqualTo(2);
      assertThat(versions(stores.getFirst(), "things")).hasSize(2);
    } finally {
      pool.shutdownNow();
      stores.forEach(Store::close);
    }
  }

  @org.junit.jupiter.api.Test
  void stepsMustBeNumberedFromOneWithoutGaps() {
    assertThatThrownBy(() -> Migrations.of("things", V2))
        .hasMessageContaining("expected migration 1 at position 1, found version 2");
    assertThatThrownBy(() -> Migrations.of("Bad Name", V1)).hasMessageContaining("'Bad Name'");
  }
}
