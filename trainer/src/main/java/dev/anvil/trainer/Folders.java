package dev.anvil.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The trainer's one way to delete a folder (a checkpoint, a staged model, a job's files). */
public final class Folders {
  private Folders() {}

  /**
   * Deletes {@code dir} and everything in it, children first; nothing if it does not exist.
   *
   * @throws IOException if something in it cannot be deleted (what was deleted before stays so)
   */
  public static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
