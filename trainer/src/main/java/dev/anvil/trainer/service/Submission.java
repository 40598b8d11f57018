package dev.anvil.trainer.service;

import dev.anvil.rbac.input.PairSafeReader;
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
   * A spec file with the data files it names ({@code data.train}, {@code data.eval}) attached, by
   * their paths relative to the spec. A trainer service reads nothing of its own disk for a caller:
   * data must be in the spec's folder and a base model must come from its registry ({@code
   * registry: MODEL_ID}) or be packaged. The trainer checks the spec as a whole.
   *
   * @throws JobSpecException if a data file is missing here, outside the spec's folder, or too big,
   *     or the base model is a path
   */
  public static Submission upload(Path specFile) {
    String spec = read(specFile);
    Path dir = specFile.toAbsolutePath().getParent();
    Map<String, byte[]> files = new LinkedHashMap<>();
    Map<?, ?> top = top(specFile, spec);
    if (top.get("base_model") instanceof Map<?, ?> base
        && (base.containsKey("huggingface") || base.containsKey("onnx"))) {
      throw new JobSpecException(
          List.of(
              specFile
                  + ": field 'base_model': a trainer service takes its base model from its"
                  + " registry: use registry: MODEL_ID (see anvil model list) or packaged: NAME"));
    }
    for (Map.Entry<String, String> d : dataPaths(top).entrySet()) {
      Path p = Path.of(d.getValue());
      Path rel = dir.relativize(dir.resolve(p).normalize());
      if (p.isAbsolute() || rel.startsWith("..")) {
        throw new JobSpecException(
            List.of(
                specFile
                    + ": field '"
                    + d.getKey()
                    + "': to send it to the trainer, the file must be in the spec's folder (a"
                    + " trainer service reads only the files sent with the job)"));
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
                      + " most %d MiB: run the job where the data is (anvil train run)",
                  specFile, bytes >> 20, MAX_UPLOAD_BYTES >> 20)));
    }
    return new Submission(specFile.toString(), spec, Optional.empty(), files);
  }

  /** The spec's top-level mapping (empty if it is not one: the trainer names that problem). */
  private static Map<?, ?> top(Path specFile, String spec) {
    try {
      return new Load(LoadSettings.builder().build()).loadFromReader(new PairSafeReader(spec))
              instanceof Map<?, ?> m
          ? m
          : Map.of();
    } catch (YamlEngineException e) {
      throw new JobSpecException(List.of(specFile + ": not valid YAML: " + e.getMessage()));
    }
  }

  /** {@code data.train} and {@code data.eval} as written. */
  private static Map<String, String> dataPaths(Map<?, ?> top) {
    Map<String, String> out = new LinkedHashMap<>();
    if (top.get("data") instanceof Map<?, ?> data) {
      for (String field : List.of("train", "eval")) {
        if (data.get(field) instanceof String path) {
          out.put("data." + field, path);
        }
      }
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
