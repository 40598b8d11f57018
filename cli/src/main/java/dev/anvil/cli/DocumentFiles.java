package dev.anvil.cli;

import com.nimbusds.jose.util.JSONObjectUtils;
import dev.anvil.context.api.Document;
import dev.anvil.rbac.input.RbacException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads documents to ingest: {@code .jsonl} files hold one JSON document per line ({@code id,
 * version, title, body, source, tags}); any other file is one document whose id is its path, title
 * its name, version its modification time, and tags those given on the command line. Directories
 * are walked.
 */
final class DocumentFiles {
  private DocumentFiles() {}

  static List<Document> read(List<Path> paths, Map<String, Object> extraTags) {
    List<Document> out = new ArrayList<>();
    for (Path path : paths) {
      if (!Files.exists(path)) {
        throw new RbacException("no such file or directory: " + path);
      }
      try (Stream<Path> files = Files.walk(path)) {
        for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
          if (f.getFileName().toString().endsWith(".jsonl")) {
            readJsonLines(f, extraTags, out);
          } else {
            String body = Files.readString(f);
            Map<String, Object> tags = new LinkedHashMap<>(extraTags);
            out.add(
                new Document(
                    f.toString(),
                    Files.getLastModifiedTime(f).toMillis(),
                    f.getFileName().toString(),
                    body,
                    f.toUri().toString(),
                    tags));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + path, e);
      }
    }
    return out;
  }

  private static void readJsonLines(Path file, Map<String, Object> extraTags, List<Document> out)
      throws IOException {
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      String where = file + ":" + (i + 1);
      Map<String, Object> json;
      try {
        json = JSONObjectUtils.parse(line);
      } catch (ParseException e) {
        throw new RbacException(where + ": not a JSON object: " + e.getMessage());
      }
      Map<String, Object> tags = new LinkedHashMap<>(extraTags);
      if (json.get("tags") instanceof Map<?, ?> t) {
        t.forEach(
            (k, v) ->
                tags.put(
                    k.toString(),
                    v instanceof List<?> l
                        ? l.stream().map(Object::toString).toList()
                        : String.valueOf(v)));
      } else if (json.containsKey("tags")) {
        throw new RbacException(where + ": field 'tags': expected an object of tag: value");
      }
      out.add(
          new Document(
              text(json, "id", where),
              json.get("version") instanceof Number n ? n.longValue() : 1,
              json.getOrDefault("title", "").toString(),
              text(json, "body", where),
              json.getOrDefault("source", file.toUri() + "#L" + (i + 1)).toString(),
              tags));
    }
  }

  private static String text(Map<String, Object> json, String field, String where) {
    if (json.get(field) instanceof String s && !s.isBlank()) {
      return s;
    }
    throw new RbacException(
        where
            + ": field '"
            + field
            + "': expected text, was "
            + (json.containsKey(field) ? json.get(field) : "absent"));
  }
}
