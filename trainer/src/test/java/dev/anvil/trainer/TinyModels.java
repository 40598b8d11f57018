package dev.anvil.trainer;

import ai.djl.Device;
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

  static final List<String> TOPICS =
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

  private static Example pair(int line, String q, String p) {
    return new Example.Pair(
        "pairs.jsonl:" + line,
        q,
        p,
        Optional.empty(),
        Map.of("classification", "internal", "department", List.of("engineering")));
  }
}
