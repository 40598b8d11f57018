package dev.anvil.cli;

import dev.anvil.trainer.job.JobStore;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The job stores a command opened, one per folder, closed when the command ends ({@link Main#run}).
 * A command's parts (the trainer, its worker) share one, and the embedded store file is not left
 * open behind a command that has ended.
 */
final class LocalJobStores {
  private static final Map<Path, JobStore> OPEN = new LinkedHashMap<>();

  private LocalJobStores() {}

  /** The job store of {@code dir} on the embedded store file there, opened once per command. */
  static synchronized JobStore open(Path dir) {
    return OPEN.computeIfAbsent(dir.toAbsolutePath().normalize(), JobStore::new);
  }

  /** Remembers {@code store} (of a --store-url) to close it when the command ends. */
  static synchronized JobStore adopt(JobStore store) {
    OPEN.putIfAbsent(store.dir().toAbsolutePath().normalize(), store);
    return store;
  }

  /** Closes every store a command opened. */
  static synchronized void closeAll() {
    OPEN.values().forEach(JobStore::close);
    OPEN.clear();
  }
}
