package dev.anvil.trainer.job;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * The spec's paths, resolved against its folder; when confined, only inside it. Outside, the answer
 * is the same whether the path exists or not: a submitter learns nothing of the trainer's disk.
 */
record SpecPaths(SpecFields f, Path base, boolean confined) {
  Path file(String field, String given) {
    Path p = resolve(field, given);
    if (p != null && !Files.isRegularFile(p)) {
      f.problem(field, "no such file: " + given);
    }
    return p;
  }

  Path directory(String field, String given) {
    Path p = resolve(field, given);
    if (p != null && !Files.isDirectory(p)) {
      f.problem(field, "no such directory: " + given);
    }
    return p;
  }

  private Path resolve(String field, String given) {
    if (given == null) {
      return null;
    }
    Path p = base.resolve(given).normalize();
    if (!confined) {
      return p;
    }
    String outside =
        "must name a file uploaded with the job (a relative path inside its folder); use"
            + " registry: MODEL_ID for a model of the trainer";
    if (Path.of(given).isAbsolute() || !p.startsWith(base.normalize())) {
      f.problem(field, outside);
      return null;
    }
    try {
      // Where the path really leads: its deepest existing part, links (even dangling) followed,
      // so a link out of the folder is refused whether its target exists or not.
      Path existing = p;
      while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
        existing = existing.getParent();
      }
      if (existing == null || !existing.toRealPath().startsWith(base.toRealPath())) {
        f.problem(field, outside);
        return null;
      }
    } catch (java.io.IOException e) {
      f.problem(field, outside);
      return null;
    }
    return p;
  }
}
