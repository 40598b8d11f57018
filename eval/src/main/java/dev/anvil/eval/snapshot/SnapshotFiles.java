package dev.anvil.eval.snapshot;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The one writer and reader of a snapshot folder's two files. */
final class SnapshotFiles {
  /** Most problems listed before a file is given up on. */
  private static final int MAX_PROBLEMS = 20;

  /** Largest file of a snapshot read, in bytes: it is read whole, and its id checked on it. */
  static final long MAX_BYTES = 1L << 30;

  private static final Gson PRETTY =
      new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  private SnapshotFiles() {}

  static void write(JudgmentSnapshot s, Path dir) {
    try {
      if (Files.exists(dir)) {
        try (Stream<Path> files = Files.list(dir)) {
          if (files.findAny().isPresent()) {
            throw new SnapshotException(
                dir
                    + ": not empty: a snapshot is written into a new or empty folder, never over"
                    + " another");
          }
        }
      }
      Files.createDirectories(dir);
      Files.writeString(
          dir.resolve(JudgmentSnapshot.EXAMPLES),
          examplesText(s.examples()),
          StandardCharsets.UTF_8);
      Files.writeString(
          dir.resolve(JudgmentSnapshot.PROVENANCE),
          PRETTY.toJson(provenance(s)) + "\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the snapshot into " + dir, e);
    }
  }

  /** The examples' file, byte for byte: one canonical JSON object per line. */
  static String examplesText(List<JudgedExample> examples) {
    StringBuilder sb = new StringBuilder();
    for (JudgedExample e : examples) {
      JsonObject o = new JsonObject();
      o.addProperty("query_id", e.queryId());
      o.addProperty("query", e.query());
      o.addProperty("document_id", e.documentId());
      o.addProperty("chunk", e.chunk());
      o.addProperty("title", e.title());
      o.addProperty("text", e.text());
      o.addProperty("text_sha256", e.textSha256());
      o.addProperty("label", e.label());
      o.addProperty("basis", e.basis());
      JsonArray who = new JsonArray();
      e.annotators().forEach(who::add);
      o.add("annotators", who);
      o.add("tags", tags(e.tags()));
      sb.append(o).append('\n');
    }
    return sb.toString();
  }

  private static JsonObject tags(Map<String, Object> tags) {
    JsonObject t = new JsonObject();
    new TreeMap<>(tags)
        .forEach(
            (k, v) -> {
              if (v instanceof List<?> l) {
                JsonArray a = new JsonArray();
                l.stream().map(String::valueOf).sorted().forEach(a::add);
                t.add(k, a);
              } else {
                t.addProperty(k, String.valueOf(v));
              }
            });
    return t;
  }

  private static JsonObject provenance(JudgmentSnapshot s) {
    Provenance p = s.provenance();
    JsonObject o = new JsonObject();
    o.addProperty("id", s.id());
    o.addProperty("task", p.task());
    o.addProperty("task_model", p.taskModel());
    o.addProperty("store", p.store());
    o.addProperty("exported_by", p.exportedBy());
    o.addProperty("created_at", p.createdAt().toString());
    o.addProperty("policy_version", p.policyVersion());
    o.addProperty("examples", s.examples().size());
    o.addProperty("queries", s.queryIds(JudgmentSnapshot.ALL).size());
    o.addProperty("judgments_counted", p.judgmentsCounted());
    o.addProperty("agreed", p.agreed());
    o.addProperty("adjudicated", p.adjudicated());
    JsonArray who = new JsonArray();
    p.annotators().forEach(who::add);
    o.add("annotators", who);
    if (p.fleissKappa().isPresent()) {
      o.addProperty("fleiss_kappa", p.fleissKappa().getAsDouble());
    }
    JsonArray pairs = new JsonArray();
    for (Provenance.PairKappa k : p.pairs()) {
      JsonObject x = new JsonObject();
      x.addProperty("a", k.a());
      x.addProperty("b", k.b());
      x.addProperty("items", k.items());
      if (k.cohen().isPresent()) {
        x.addProperty("cohen_kappa", k.cohen().getAsDouble());
      }
      pairs.add(x);
    }
    o.add("pairs", pairs);
    return o;
  }

  static JudgmentSnapshot read(Path dir) {
    Path provFile = dir.resolve(JudgmentSnapshot.PROVENANCE);
    Path exFile = dir.resolve(JudgmentSnapshot.EXAMPLES);
    String provText;
    String exText;
    try {
      for (Path f : List.of(provFile, exFile)) {
        if (Files.isRegularFile(f) && Files.size(f) > MAX_BYTES) {
          throw new SnapshotException(
              f + ": " + Files.size(f) + " bytes, more than a snapshot holds (" + MAX_BYTES + ")");
        }
      }
      provText = Files.readString(provFile, StandardCharsets.UTF_8);
      exText = Files.readString(exFile, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new SnapshotException(
          dir
              + ": not a judgments snapshot (expected "
              + JudgmentSnapshot.PROVENANCE
              + " and "
              + JudgmentSnapshot.EXAMPLES
              + "; missing "
              + e.getFile()
              + ")",
          e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the snapshot in " + dir, e);
    }
    JsonObject p;
    try {
      p = JsonParser.parseString(provText).getAsJsonObject();
    } catch (JsonParseException | IllegalStateException e) {
      throw new SnapshotException(provFile + ": not a JSON object: " + e.getMessage(), e);
    }
    String where = provFile.toString();
    String id = text(p, "id", where);
    Provenance provenance;
    try {
      provenance =
          new Provenance(
              text(p, "task", where),
              text(p, "task_model", where),
              text(p, "store", where),
              text(p, "exported_by", where),
              Instant.parse(text(p, "created_at", where)),
              text(p, "policy_version", where),
              integer(p, "judgments_counted", where),
              integer(p, "agreed", where),
              integer(p, "adjudicated", where),
              strings(p, "annotators", where),
              p.has("fleiss_kappa")
                  ? OptionalDouble.of(p.get("fleiss_kappa").getAsDouble())
                  : OptionalDouble.empty(),
              pairs(p, where));
    } catch (DateTimeParseException e) {
      throw new SnapshotException(where + ": field 'created_at': not an ISO-8601 instant", e);
    }
    List<JudgedExample> examples = examples(exFile, exText);
    if (!JudgmentSnapshot.idOf(exText).equals(id)) {
      throw new SnapshotException(
          dir
              + ": its examples are not those of snapshot "
              + id
              + " (their content hash is "
              + JudgmentSnapshot.idOf(exText)
              + "): "
              + JudgmentSnapshot.EXAMPLES
              + " was changed after export; export the task again");
    }
    JudgmentSnapshot s = JudgmentSnapshot.of(provenance, examples);
    if (!s.id().equals(id)) { // same lines in another order, or not canonical
      throw new SnapshotException(
          exFile + ": not in canonical form (sorted by query id, document and chunk)");
    }
    return s;
  }

  private static List<JudgedExample> examples(Path file, String text) {
    List<JudgedExample> out = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new java.io.StringReader(text))) {
      int n = 0;
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        n++;
        String where = file.getFileName() + ":" + n;
        if (n > JudgmentSnapshot.MAX_EXAMPLES) {
          problems.add(where + ": more than " + JudgmentSnapshot.MAX_EXAMPLES + " examples");
          break;
        }
        try {
          out.add(example(JsonParser.parseString(line).getAsJsonObject(), where));
        } catch (JsonParseException | IllegalStateException | IllegalArgumentException e) {
          problems.add(
              e.getMessage() != null && e.getMessage().startsWith(where)
                  ? e.getMessage()
                  : where + ": " + e.getMessage());
          if (problems.size() == MAX_PROBLEMS) {
            problems.add(file + ": stopped after " + MAX_PROBLEMS + " problems");
            break;
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!problems.isEmpty()) {
      throw new SnapshotException(String.join("\n", problems));
    }
    return out;
  }

  private static JudgedExample example(JsonObject o, String where) {
    Map<String, Object> tags = new TreeMap<>();
    if (!(o.get("tags") instanceof JsonObject t) || t.isEmpty()) {
      throw new SnapshotException(
          where + ": field 'tags': missing: every judged chunk carries its tags");
    }
    for (Map.Entry<String, JsonElement> e : t.entrySet()) {
      if (e.getValue() instanceof JsonPrimitive v && v.isString()) {
        tags.put(e.getKey(), v.getAsString());
      } else if (e.getValue() instanceof JsonArray a) {
        List<String> values = new ArrayList<>();
        a.forEach(x -> values.add(x.getAsString()));
        tags.put(e.getKey(), List.copyOf(values));
      } else {
        throw new SnapshotException(
            where + ": field 'tags." + e.getKey() + "': expected a string or a list of strings");
      }
    }
    try {
      return new JudgedExample(
          text(o, "query_id", where),
          text(o, "query", where),
          text(o, "document_id", where),
          integer(o, "chunk", where),
          o.has("title") ? text(o, "title", where) : "",
          text(o, "text", where),
          text(o, "text_sha256", where),
          integer(o, "label", where),
          text(o, "basis", where),
          strings(o, "annotators", where),
          tags);
    } catch (SnapshotException e) {
      throw e.getMessage().startsWith(where)
          ? e
          : new SnapshotException(where + ": " + e.getMessage());
    }
  }

  private static String text(JsonObject o, String field, String where) {
    if (!(o.get(field) instanceof JsonPrimitive p) || !p.isString()) {
      throw new SnapshotException(where + ": field '" + field + "': expected text");
    }
    return p.getAsString();
  }

  private static int integer(JsonObject o, String field, String where) {
    if (!(o.get(field) instanceof JsonPrimitive p) || !p.isNumber()) {
      throw new SnapshotException(where + ": field '" + field + "': expected an integer");
    }
    double d = p.getAsDouble();
    if (d != Math.rint(d) || d < 0 || d > Integer.MAX_VALUE) {
      throw new SnapshotException(
          where + ": field '" + field + "': expected an integer >= 0, was " + p);
    }
    return (int) d;
  }

  private static List<String> strings(JsonObject o, String field, String where) {
    if (!(o.get(field) instanceof JsonArray a)) {
      throw new SnapshotException(where + ": field '" + field + "': expected a list of text");
    }
    List<String> out = new ArrayList<>();
    for (JsonElement e : a) {
      if (!(e instanceof JsonPrimitive p) || !p.isString()) {
        throw new SnapshotException(where + ": field '" + field + "': expected a list of text");
      }
      out.add(p.getAsString());
    }
    return out;
  }

  private static List<Provenance.PairKappa> pairs(JsonObject p, String where) {
    List<Provenance.PairKappa> out = new ArrayList<>();
    if (!(p.get("pairs") instanceof JsonArray a)) {
      throw new SnapshotException(where + ": field 'pairs': expected a list");
    }
    for (JsonElement e : a) {
      if (!(e instanceof JsonObject x)) {
        throw new SnapshotException(where + ": field 'pairs': expected objects");
      }
      out.add(
          new Provenance.PairKappa(
              text(x, "a", where),
              text(x, "b", where),
              integer(x, "items", where),
              x.has("cohen_kappa")
                  ? OptionalDouble.of(x.get("cohen_kappa").getAsDouble())
                  : OptionalDouble.empty()));
    }
    return out;
  }
}
