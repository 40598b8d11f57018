package dev.anvil.eval;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A BEIR data set folder: {@code corpus.jsonl} ({@code _id, title, text}), {@code queries.jsonl}
 * ({@code _id, text}) and {@code qrels/<split>.tsv} ({@code query-id corpus-id score}), with one of
 * its splits: any file under {@code qrels/}, or the dev split and its complement that {@link
 * Splits} carves from the training judgements.
 *
 * @param split the split the queries and judgements are of, e.g. {@value Splits#DEV}: what a
 *     decision made on this set records
 * @param corpus documents in file order
 * @param queries query id to text, for the queries that have judgements in the split
 * @param qrels query id to (document id to graded relevance)
 */
public record BeirDataset(
    String split,
    List<Doc> corpus,
    Map<String, String> queries,
    Map<String, Map<String, Integer>> qrels) {

  public BeirDataset {
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(corpus, "corpus");
    Objects.requireNonNull(queries, "queries");
    Objects.requireNonNull(qrels, "qrels");
  }

  /** One corpus document. */
  public record Doc(String id, String title, String text) {}

  /**
   * Loads a folder and split: {@value Splits#DEV}, {@value Splits#TRAIN_MINUS_DEV}, or the name of
   * a qrels file such as {@value Splits#TEST} (see {@link Splits}).
   *
   * @throws BeirDataException naming the folder, file and line of what is missing or malformed
   * @throws UncheckedIOException when a file exists but cannot be read
   */
  public static BeirDataset load(Path dir, String split) {
    try {
      List<Doc> corpus = new ArrayList<>();
      for (JsonObject o : jsonLines(dir.resolve("corpus.jsonl"))) {
        corpus.add(
            new Doc(
                o.get("_id").getAsString(),
                o.has("title") ? o.get("title").getAsString() : "",
                o.get("text").getAsString()));
      }
      Map<String, Map<String, Integer>> qrels = Splits.qrels(dir, split);
      Map<String, String> queries = new LinkedHashMap<>();
      for (JsonObject o : jsonLines(dir.resolve("queries.jsonl"))) {
        String id = o.get("_id").getAsString();
        if (qrels.containsKey(id)) {
          queries.put(id, o.get("text").getAsString());
        }
      }
      return new BeirDataset(split, Collections.unmodifiableList(corpus), queries, qrels);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read BEIR data in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static List<JsonObject> jsonLines(Path file) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      try {
        out.add(JsonParser.parseString(lines.get(i)).getAsJsonObject());
      } catch (RuntimeException e) {
        throw new BeirDataException(
            file + ":" + (i + 1) + ": not a JSON object: " + e.getMessage(), e);
      }
    }
    return out;
  }
}
