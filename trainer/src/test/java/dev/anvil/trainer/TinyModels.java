package dev.anvil.trainer;

import ai.djl.Device;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.BertConfig;
import dev.anvil.trainer.model.BertEncoder;
import dev.anvil.trainer.model.EncoderModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A small encoder (2 layers, 64 wide, MiniLM's vocabulary) and learnable toy data sets. */
public final class TinyModels {
  public static final BertConfig CONFIG = new BertConfig(30522, 64, 2, 2, 128, 128, 2, 1e-12);

  public static final List<String> TOPICS =
      List.of(
          "kernel",
          "salary",
          "budget",
          "contract",
          "outage",
          "release",
          "storage",
          "network",
          "latency",
          "audit",
          "forecast",
          "migration",
          "security",
          "vector",
          "cluster",
          "payroll",
          "invoice",
          "customer",
          "roadmap",
          "benchmark",
          "compiler",
          "database",
          "firewall",
          "pipeline",
          "router",
          "sensor",
          "ticket",
          "warehouse",
          "vendor",
          "license",
          "backup",
          "schema");

  private TinyModels() {}

  /** A fresh tiny encoder, saved as a Hugging Face directory (a stand-in for customer weights). */
  public static Path huggingFaceDir(Path dir) {
    try (EncoderModel m =
        EncoderModel.of(BertEncoder.random(CONFIG, 7, Device.cpu()), MiniLm.tokenizer(), 64)) {
      m.saveHuggingFace(dir, Map.of());
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A fresh tiny encoder registered in the trainer's registry {@code models} as {@code id}, with a
   * card of the given lineage (as an operator would place a base model for remote callers).
   */
  public static Path registeredBase(Path models, String id, Map<String, ?> lineage) {
    Path dir = huggingFaceDir(models.resolve(id));
    ModelCard.of(
            Map.of(
                "model", id,
                "job", "operator",
                "task", "embedding",
                "owner", "operator",
                "created", "2026-01-01T00:00:00Z",
                "lineage", lineage))
        .write(dir);
    return dir;
  }

  /**
   * A job spec that fine-tunes the tiny encoder in {@code baseDir} (a directory, or {@code
   * registry: ID} for a registered one) on {@code pairs.jsonl} (beside the spec) well enough that
   * the promotion gate prefers it over its base: 4 epochs at a high learning rate, nothing held
   * out.
   */
  public static String tunedEmbeddingSpec(String name, String baseDir) {
    return """
        name: %s
        task: embedding
        base_model: {%s}
        data:
          train: pairs.jsonl
        hyperparameters:
          epochs: 4
          batch_size: 8
          learning_rate: 1.0e-3
          warmup_steps: 2
          max_seq_length: 32
          eval_every: 100
          checkpoint_every: 100
          holdout: 0
        """
        .formatted(name, baseDir.startsWith("registry:") ? baseDir : "huggingface: " + baseDir);
  }

  /** (question, answer) pairs, one per topic and phrasing, tagged internal engineering. */
  public static List<Example> pairs() {
    List<Example> out = new ArrayList<>();
    int line = 0;
    for (String t : TOPICS) {
      out.add(
          pair(
              ++line,
              "what changed in the " + t + " last week",
              "weekly " + t + " report: the " + t + " team shipped fixes"));
      out.add(pair(++line, "who owns the " + t, t + " ownership: the " + t + " group owns it"));
    }
    return out;
  }

  /** Writes examples as a JSON-lines data set, each with its tags. */
  public static Path write(Path file, List<Example> examples) {
    StringBuilder sb = new StringBuilder();
    for (Example e : examples) {
      com.google.gson.JsonObject o = new com.google.gson.JsonObject();
      switch (e) {
        case Example.Pair p -> {
          o.addProperty("query", p.query());
          o.addProperty("positive", p.positive());
          p.negative().ifPresent(n -> o.addProperty("negative", n));
        }
        case Example.Labeled l -> {
          o.addProperty("text", l.text());
          o.addProperty("label", l.label());
        }
      }
      o.add("tags", new com.google.gson.Gson().toJsonTree(e.tags()));
      sb.append(o).append('\n');
    }
    try {
      java.nio.file.Files.writeString(file, sb);
      return file;
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /**
   * Writes a BEIR folder of pairs: each answer a document {@code d<i>}, each question a query
   * {@code q<i>} judging it relevant, as split {@code dev}: what the gate decides on.
   */
  public static Path beir(Path to, List<Example> pairs) {
    return beir(to, pairs, "dev");
  }

  /** The same, as the split {@code split} ({@code qrels/<split>.tsv}). */
  public static Path beir(Path to, List<Example> pairs, String split) {
    StringBuilder corpus = new StringBuilder();
    StringBuilder queries = new StringBuilder();
    StringBuilder qrels = new StringBuilder("query-id\tcorpus-id\tscore\n");
    for (int i = 0; i < pairs.size(); i++) {
      Example.Pair p = (Example.Pair) pairs.get(i);
      corpus.append(beirLine("d" + i, p.positive()));
      queries.append(beirLine("q" + i, p.query()));
      qrels.append("q").append(i).append("\td").append(i).append("\t1\n");
    }
    try {
      java.nio.file.Files.createDirectories(to.resolve("qrels"));
      java.nio.file.Files.writeString(to.resolve("corpus.jsonl"), corpus);
      java.nio.file.Files.writeString(to.resolve("queries.jsonl"), queries);
      java.nio.file.Files.writeString(to.resolve("qrels/" + split + ".tsv"), qrels);
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String beirLine(String id, String text) {
    com.google.gson.JsonObject o = new com.google.gson.JsonObject();
    o.addProperty("_id", id);
    o.addProperty("text", text);
    return o + "\n";
  }

  /** Texts labelled by the department they talk about. */
  public static List<Example> labeled() {
    List<Example> out = new ArrayList<>();
    String[][] kinds = {
      {"engineering", "kernel build cluster deploy compiler release"},
      {"hr", "salary hiring leave benefits payroll review"},
      {"finance", "budget invoice forecast revenue audit expense"}
    };
    int line = 0;
    for (int round = 0; round < 12; round++) {
      for (String[] k : kinds) {
        String[] words = k[1].split(" ");
        String text =
            "note about "
                + words[round % words.length]
                + " and "
                + words[(round + 2) % words.length];
        out.add(
            new Example.Labeled(
                "labels.jsonl:" + ++line,
                text,
                k[0],
                Map.of("classification", "internal", "department", List.of("engineering"))));
      }
    }
    return out;
  }

  /**
   * A judgments snapshot of the toy topics, written to {@code to}: for each topic and phrasing, its
   * answer judged 3, the other phrasing's answer (same topic) 1, and the next topic's answer 0 (a
   * hard negative). Every chunk internal engineering, but the answers of {@code confidentialTopic}
   * (none if null), which are confidential.
   */
  public static dev.anvil.eval.snapshot.JudgmentSnapshot snapshot(
      Path to, String confidentialTopic) {
    List<dev.anvil.eval.snapshot.JudgedExample> out = new ArrayList<>();
    for (int i = 0; i < TOPICS.size(); i++) {
      String t = TOPICS.get(i);
      String next = TOPICS.get((i + 1) % TOPICS.size());
      String[][] phrasings = {
        {"what changed in the " + t + " last week", "weekly-" + t, "owner-" + t},
        {"who owns the " + t, "owner-" + t, "weekly-" + t}
      };
      for (String[] p : phrasings) {
        out.add(judged(p[0], p[1], 3, confidentialTopic));
        out.add(judged(p[0], p[2], 1, confidentialTopic));
        out.add(judged(p[0], "weekly-" + next, 0, confidentialTopic));
      }
    }
    var s =
        dev.anvil.eval.snapshot.JudgmentSnapshot.of(
            new dev.anvil.eval.snapshot.Provenance(
                "toy",
                "tiny",
                "memory",
                "mia",
                java.time.Instant.parse("2026-12-01T00:00:00Z"),
                "test",
                out.size() * 2,
                out.size(),
                0,
                List.of("ada", "andy"),
                java.util.OptionalDouble.of(0.8),
                List.of()),
            out);
    s.write(to);
    return s;
  }

  private static dev.anvil.eval.snapshot.JudgedExample judged(
      String query, String doc, int label, String confidentialTopic) {
    String t = doc.substring(doc.indexOf('-') + 1);
    String text =
        doc.startsWith("weekly-")
            ? "weekly " + t + " report: the " + t + " team shipped fixes"
            : t + " ownership: the " + t + " group owns it";
    return new dev.anvil.eval.snapshot.JudgedExample(
        dev.anvil.eval.snapshot.JudgedExample.queryId(query),
        query,
        doc,
        0,
        "",
        text,
        dev.anvil.eval.snapshot.JudgedExample.sha256(text),
        label,
        "agreed",
        List.of("ada", "andy"),
        Map.of(
            "classification",
            t.equals(confidentialTopic) ? "confidential" : "internal",
            "department",
            List.of("engineering")));
  }

  /** A job spec that fine-tunes the tiny encoder in {@code baseDir} on a judgments snapshot. */
  public static String judgedEmbeddingSpec(
      String name, String baseDir, String snapshot, String split) {
    return """
        name: %s
        task: embedding
        base_model: {huggingface: %s}
        data:
          judgments: {snapshot: %s, split: %s}
        hyperparameters:
          epochs: 4
          batch_size: 8
          learning_rate: 1.0e-3
          warmup_steps: 2
          max_seq_length: 32
          eval_every: 100
          checkpoint_every: 100
          holdout: 0
        """
        .formatted(name, baseDir, snapshot, split);
  }

  private static Example pair(int line, String q, String p) {
    return new Example.Pair(
        "pairs.jsonl:" + line,
        q,
        p,
        Optional.empty(),
        Map.of("classification", "internal", "department", List.of("engineering")));
  }
}
