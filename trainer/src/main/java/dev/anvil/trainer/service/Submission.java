package dev.anvil.trainer.service;

import dev.anvil.trainer.job.JobSpec;
import dev.anvil.trainer.job.JobSpecException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A job spec as submitted: read in place ({@code specDir}, the trainer shares the file system) or
 * with its data files attached by their paths relative to the spec (a trainer elsewhere).
 *
 * @param where names the spec in error messages, e.g. its file name
 */
public record Submission(
    String where, String spec, Optional<Path> specDir, Map<String, byte[]> files) {
  public Submission {
    files = Map.copyOf(files);
  }

  /** A spec file whose relative paths the trainer resolves against its folder. */
  public static Submission local(Path specFile) {
    return new Submission(
        specFile.toString(),
        read(specFile),
        Optional.of(specFile.toAbsolutePath().getParent()),
        Map.of());
  }

  /**
   * A spec file with the data files it names ({@code data.train}, {@code data.eval}) attached. The
   * base model stays where the spec says: packaged, or a path on the trainer.
   *
   * @throws JobSpecException if the spec is invalid here, or names data outside its folder
   */
  public static Submission upload(Path specFile) {
    JobSpec spec = JobSpec.read(specFile);
    Path dir = specFile.toAbsolutePath().getParent();
    Map<String, byte[]> files = new LinkedHashMap<>();
    Map<String, Path> data = new LinkedHashMap<>();
    data.put("data.train", spec.train());
    spec.eval().ifPresent(e -> data.put("data.eval", e));
    for (Map.Entry<String, Path> d : data.entrySet()) {
      Path rel = dir.relativize(d.getValue().toAbsolutePath().normalize());
      if (rel.isAbsolute() || rel.startsWith("..")) {
        throw new JobSpecException(
            List.of(
                specFile
                    + ": field '"
                    + d.getKey()
                    + "': to send it to the trainer, the file must be in the spec's folder"));
      }
      try {
        files.put(rel.toString(), Files.readAllBytes(d.getValue()));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + d.getValue(), e);
      }
    }
    return new Submission(specFile.toString(), read(specFile), Optional.empty(), files);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new JobSpecException(List.of(file + ": cannot read: " + e.getMessage()));
    }
  }
}
