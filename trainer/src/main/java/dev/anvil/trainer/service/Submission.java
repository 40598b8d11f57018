package dev.anvil.trainer.service;

import dev.anvil.rpc.GrpcServer;
import dev.anvil.trainer.job.JobSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * A job spec as submitted: read in place ({@code specDir}, the trainer shares the file system) or
 * with its data files attached by their paths relative to the spec (a trainer elsewhere).
 *
 * @param where names the spec in error messages, e.g. its file name
 */
public record Submission(
    String where, String spec, Optional<Path> specDir, Map<String, byte[]> files) {
  /** The most data one submission carries (a gRPC message, with room for the spec). */
  public static final long MAX_UPLOAD_BYTES = GrpcServer.MAX_MESSAGE_BYTES - (1 << 20);

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
   * A spec file with the data files it names by relative path ({@code data.train}, {@code
   * data.eval}) attached; absolute paths, like the base model, name files on the trainer. The
   * trainer checks the spec as a whole.
   *
   * @throws JobSpecException if a data file is missing here, outside the spec's folder, or too big
   */
  public static Submission upload(Path specFile) {
    String spec = read(specFile);
    Path dir = specFile.toAbsolutePath().getParent();
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (Map.Entry<String, String> d : dataPaths(specFile, spec).entrySet()) {
      Path p = Path.of(d.getValue());
      if (p.isAbsolute()) {
        continue; // on the trainer
      }
      Path rel = dir.relativize(dir.resolve(p).normalize());
      if (rel.startsWith("..")) {
        throw new JobSpecException(
            List.of(
                specFile
                    + ": field '"
                    + d.getKey()
                    + "': to send it to the trainer, the file must be in the spec's folder (or"
                    + " give an absolute path on the trainer)"));
      }
      try {
        files.put(rel.toString(), Files.readAllBytes(dir.resolve(rel)));
      } catch (IOException e) {
        throw new JobSpecException(
            List.of(specFile + ": field '" + d.getKey() + "': cannot read " + dir.resolve(rel)));
      }
    }
    long bytes = files.values().stream().mapToLong(b -> b.length).sum();
    if (bytes > MAX_UPLOAD_BYTES) {
      throw new JobSpecException(
          List.of(
              String.format(
                  "%s: the data files hold %d MiB; a submission to a trainer service carries at"
                      + " most %d MiB: put larger data on the trainer's volume and name it by an"
                      + " absolute path",
                  specFile, bytes >> 20, MAX_UPLOAD_BYTES >> 20)));
    }
    return new Submission(specFile.toString(), spec, Optional.empty(), files);
  }

  /** {@code data.train} and {@code data.eval} as written, if the spec is a mapping at all. */
  private static Map<String, String> dataPaths(Path specFile, String spec) {
    Map<String, String> out = new LinkedHashMap<>();
    try {
      if (new Load(LoadSettings.builder().build()).loadFromString(spec) instanceof Map<?, ?> top
          && top.get("data") instanceof Map<?, ?> data) {
        for (String field : List.of("train", "eval")) {
          if (data.get(field) instanceof String path) {
            out.put("data." + field, path);
          }
        }
      }
    } catch (YamlEngineException e) {
      throw new JobSpecException(List.of(specFile + ": not valid YAML: " + e.getMessage()));
    }
    return out;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new JobSpecException(List.of(file + ": cannot read: " + e.getMessage()));
    }
  }
}
