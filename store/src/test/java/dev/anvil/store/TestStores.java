package dev.anvil.store;

import java.nio.file.Path;

/** The store's backends for tests that run against both: {@code @EnumSource(Backend.class)}. */
public final class TestStores {
  private TestStores() {}

  /** A database a test runs against. */
  public enum Backend {
    /** The embedded H2 file in a temporary data directory. */
    H2,
    /** A fresh database on the real PostgreSQL server of {@link PostgresServer}. */
    POSTGRESQL
  }

  /** Where a fresh store of {@code backend} is: under {@code dir} for H2. */
  public static StoreConfig config(Backend backend, Path dir) {
    return switch (backend) {
      case H2 -> StoreConfig.embedded(dir);
      case POSTGRESQL -> PostgresServer.newDatabase();
    };
  }

  /** A fresh, open store of {@code backend}. */
  public static Store open(Backend backend, Path dir) {
    return Store.open(config(backend, dir));
  }
}
