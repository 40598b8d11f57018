package dev.anvil.trainer.job;

import dev.anvil.trainer.Folders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A job's folder of files, made whole before the job is recorded: written in a hidden staging
 * folder, then renamed into place in one step (the rename fails rather than overwrite a folder that
 * exists).
 */
final class JobFolders {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final Logger LOG = LoggerFactory.getLogger(JobFolders.class);

  private JobFolders() {}

  /**
   * A job's new id and folder, and the folder its spec's relative paths resolve against.
   *
   * @param inputs the spec's own folder, or the job's {@code input/} with the files sent with it
   */
  record Made(String id, Path folder, Path inputs) {}

  /**
   * Makes the folder of a new job named {@code name} in {@code dir}.
   *
   * @param specDir the spec's folder on this machine, or null for a job whose data came with it:
   *     {@code files}, by their (checked) paths relative to the spec, go to its {@code input/}
   * @param corpus the files of the job's corpus made at submission, in its {@link JobStore#CORPUS}
   *     folder
   */
  static Made make(
      Path dir,
      String name,
      Instant now,
      Path specDir,
      Map<String, byte[]> files,
      Map<String, byte[]> corpus) {
    while (true) {
      // Unguessable (96 random bits) and never reused.
      byte[] random = new byte[12];
      RANDOM.nextBytes(random);
      String id = name + "-" + ID_TIME.format(now) + "-" + HexFormat.of().formatHex(random);
      Path d = dir.resolve(id);
      Path staging = dir.resolve(".staging-" + id);
      Path inputs = specDir;
      try {
        Files.createDirectory(staging);
        if (inputs == null) {
          inputs = d.resolve("input");
          for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path to = staging.resolve("input").resolve(f.getKey()).normalize();
            Files.createDirectories(to.getParent());
            Files.write(to, f.getValue());
          }
          Files.createDirectories(staging.resolve("input"));
        }
        for (Map.Entry<String, byte[]> f : corpus.entrySet()) {
          // Named by the trainer itself (a data set's fixed file names), never by a submitter.
          Files.createDirectories(staging.resolve(JobStore.CORPUS));
          Files.write(staging.resolve(JobStore.CORPUS).resolve(f.getKey()), f.getValue());
        }
        Files.move(staging, d, StandardCopyOption.ATOMIC_MOVE);
        return new Made(id, d, inputs);
      } catch (FileAlreadyExistsException taken) {
        deleteQuietly(staging); // a collision of 96 random bits: draw again
      } catch (IOException e) {
        deleteQuietly(staging);
        throw new UncheckedIOException("cannot write job " + name + " in " + dir, e);
      }
    }
  }

  /** Deletes a folder and everything in it, logging (not throwing) what it cannot. */
  static void deleteQuietly(Path dir) {
    try {
      Folders.delete(dir);
    } catch (IOException e) {
      LOG.warn("cannot remove {}: {}", dir, e.toString());
    }
  }
}
