package dev.anvil.cli;

import dev.anvil.rbac.input.RbacException;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where Anvil's store is: the embedded file of the data directory, or PostgreSQL. */
final class StoreOptions {
  @Option(
      names = "--store-url",
      paramLabel = "JDBC_URL",
      description =
          "Anvil's store (judgments; with train serve: jobs and the model registry's index):"
              + " jdbc:postgresql://HOST:5432/DB in a cluster (default: the embedded file"
              + " anvil-store.mv.db of the data directory, and of its jobs folder for train serve;"
              + " nothing to start).")
  String url;

  @Option(names = "--store-user", paramLabel = "USER", description = "The store's database user.")
  String user;

  @Option(
      names = "--store-password-file",
      paramLabel = "FILE",
      description = "A file holding the database user's password (a mounted Secret).")
  Path passwordFile;

  /** Whether a store URL was given (else the embedded file is meant). */
  boolean given() {
    return url != null && !url.isBlank();
  }

  StoreConfig config() {
    if (url == null || url.isBlank()) {
      return StoreConfig.embedded(Identities.dataDir());
    }
    String password = "";
    if (passwordFile != null) {
      try {
        password = Files.readString(passwordFile).strip();
      } catch (IOException e) {
        throw new RbacException("--store-password-file: cannot read " + passwordFile + ": " + e);
      }
    }
    return new StoreConfig(
        url, user == null ? "" : user, password, StoreConfig.DEFAULT_MAX_CONNECTIONS);
  }

  Store open() {
    return Store.open(config());
  }
}
