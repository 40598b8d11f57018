package dev.anvil.trainer.job;

import dev.anvil.eval.Splits;
import dev.anvil.eval.snapshot.JudgedExample;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.trainer.job.JobSpec.BaseModel;
import dev.anvil.trainer.job.JobSpec.Distill;
import dev.anvil.trainer.job.JobSpec.EngineData;
import dev.anvil.trainer.job.JobSpec.JudgmentData;
import dev.anvil.trainer.model.LoraAdapters;
import dev.anvil.trainer.synth.EngineCorpus;
import dev.anvil.trainer.synth.SynthesisSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The sections of a job spec beyond its base model, data files and hyperparameters: the context
 * engine's corpus and its synthesis, distillation, and LoRA. Each reports its problems by field.
 */
final class SpecSections {
  private static final Set<String> ENGINE = Set.of("tags", "max_passages");
  private static final Set<String> SYNTHETIC =
      Set.of("titles", "inverse_cloze", "crops", "negative_skip_top", "negative_depth");
  private static final Set<String> DISTILL = Set.of("teacher", "layers", "loss", "scale_margins");
  private static final Set<String> LORA = Set.of("rank", "alpha", "dropout", "targets");
  private static final Set<String> JUDGMENTS =
      Set.of("snapshot", "split", "min_label", "negative_max_label");

  /**
   * Bounds on what a submitter may ask of the trainer's memory and time: crops multiply the pairs
   * of every passage, BM25 ranks the candidates scored per query, LoRA's rank the adapters' size.
   */
  static final int MAX_CROPS = 16;

  static final int MAX_BM25_RANKS = 1_000;
  static final int MAX_LORA_RANK = 256;

  private SpecSections() {}

  /** {@code value}, or a problem naming {@code field} and the bound if it is above {@code max}. */
  private static int atMost(SpecFields f, String field, int value, int max) {
    if (value > max) {
      f.problem(field, "expected at most " + max + ", was " + value);
    }
    return value;
  }

  /** LoRA's settings, PEFT's defaults for what is not given; null if a problem was found. */
  static LoraAdapters.Settings lora(SpecFields f, Map<String, Object> given) {
    f.unknown(given, LORA, "lora.");
    LoraAdapters.Settings d = LoraAdapters.Settings.DEFAULTS;
    Map<String, Object> l = new LinkedHashMap<>();
    l.put("rank", d.rank());
    l.put("alpha", d.alpha());
    l.put("dropout", d.dropout());
    l.put("targets", d.targets());
    l.putAll(given);
    int before = f.problemCount();
    int rank = atMost(f, "lora.rank", f.integer(l, "rank", 1, "lora."), MAX_LORA_RANK);
    double alpha = f.number(l, "alpha", 0, false, "lora.");
    double dropout = f.number(l, "dropout", 0, true, "lora.");
    if (dropout >= 1) {
      f.problem("lora.dropout", "expected a fraction below 1, was " + dropout);
    }
    List<String> targets = List.of();
    if (l.get("targets") instanceof List<?> list
        && !list.isEmpty()
        && LoraAdapters.Settings.TARGETS.containsAll(list)) {
      targets = list.stream().map(String::valueOf).distinct().toList();
    } else {
      f.problem(
          "lora.targets",
          "expected some of " + LoraAdapters.Settings.TARGETS + ", was " + l.get("targets"));
    }
    return f.problemCount() > before
        ? null
        : new LoraAdapters.Settings(rank, alpha, dropout, targets);
  }

  static Distill distill(SpecFields f, Map<String, Object> d, SpecPaths paths) {
    f.unknown(d, DISTILL, "distill.");
    BaseModel teacher =
        JobSpec.baseModel(f, f.map(d.get("teacher"), "distill.teacher"), paths, "distill.teacher");
    List<Integer> layers = new ArrayList<>();
    if (d.get("layers") != null) {
      if (d.get("layers") instanceof List<?> l
          && !l.isEmpty()
          && l.stream().allMatch(x -> x instanceof Integer i && i >= 0)
          && l.stream().distinct().count() == l.size()) {
        l.forEach(x -> layers.add((Integer) x));
      } else {
        f.problem(
            "distill.layers",
            "expected distinct layer indexes of the teacher, from 0, e.g. [0, 4, 8, 11], was "
                + d.get("layers"));
      }
    }
    String loss = d.containsKey("loss") ? f.text(d, "loss", "distill.") : "mse";
    Distill.Loss l = Distill.Loss.MSE;
    try {
      l = Distill.Loss.valueOf(String.valueOf(loss).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      f.problem("distill.loss", "expected mse or margin_mse, was '" + loss + "'");
    }
    boolean scale = d.containsKey("scale_margins") && f.flag(d, "scale_margins", "distill.");
    if (scale && l != Distill.Loss.MARGIN_MSE) {
      f.problem("distill.scale_margins", "only margin_mse has margins to scale");
    }
    return new Distill(teacher, List.copyOf(layers), l, scale);
  }

  static EngineData engineData(SpecFields f, Map<String, Object> data, long seed) {
    Map<String, Object> e = f.map(data.get("engine"), "data.engine");
    f.unknown(e, ENGINE, "data.engine.");
    Map<String, List<String>> tags = new TreeMap<>();
    if (e.get("tags") != null) {
      f.map(e.get("tags"), "data.engine.tags")
          .forEach(
              (tag, v) -> {
                List<?> values =
                    v instanceof List<?> l ? l : java.util.Collections.singletonList(v);
                if (values.isEmpty()
                    || !values.stream().allMatch(x -> x instanceof String s && !s.isBlank())) {
                  f.problem(
                      "data.engine.tags." + tag, "expected a value or a list of values, was " + v);
                } else {
                  tags.put(tag, values.stream().map(String.class::cast).toList());
                }
              });
    }
    Map<String, Object> limits = new LinkedHashMap<>();
    limits.put("max_passages", EngineData.DEFAULT_MAX_PASSAGES);
    limits.putAll(e);
    int max = f.integer(limits, "max_passages", 1, "data.engine.");
    if (max > EngineCorpus.MAX_PASSAGES) {
      f.problem(
          "data.engine.max_passages",
          "expected at most " + EngineCorpus.MAX_PASSAGES + ", was " + max);
    }
    Map<String, Object> given =
        data.containsKey("synthetic") ? f.map(data.get("synthetic"), "data.synthetic") : Map.of();
    f.unknown(given, SYNTHETIC, "data.synthetic.");
    SynthesisSettings d = SynthesisSettings.defaults(seed);
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("titles", d.titles());
    s.put("inverse_cloze", d.inverseCloze());
    s.put("crops", d.crops());
    s.put("negative_skip_top", d.negativeSkipTop());
    s.put("negative_depth", d.negativeDepth());
    s.putAll(given);
    SynthesisSettings synthesis =
        new SynthesisSettings(
            seed,
            f.flag(s, "titles", "data.synthetic."),
            f.flag(s, "inverse_cloze", "data.synthetic."),
            atMost(
                f, "data.synthetic.crops", f.integer(s, "crops", 0, "data.synthetic."), MAX_CROPS),
            atMost(
                f,
                "data.synthetic.negative_skip_top",
                f.integer(s, "negative_skip_top", 0, "data.synthetic."),
                MAX_BM25_RANKS),
            atMost(
                f,
                "data.synthetic.negative_depth",
                f.integer(s, "negative_depth", 0, "data.synthetic."),
                MAX_BM25_RANKS));
    return new EngineData(tags, max, synthesis);
  }

  /** A judgments snapshot to train on; null if a problem was found. */
  static JudgmentData judgments(SpecFields f, Map<String, Object> data, SpecPaths paths) {
    Map<String, Object> j = f.map(data.get("judgments"), "data.judgments");
    f.unknown(j, JUDGMENTS, "data.judgments.");
    int before = f.problemCount();
    Path dir = paths.directory("data.judgments.snapshot", f.text(j, "snapshot", "data.judgments."));
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("split", Splits.TRAIN_MINUS_DEV);
    s.put("min_label", JudgmentData.DEFAULT_MIN_LABEL);
    s.put("negative_max_label", JudgmentData.DEFAULT_NEGATIVE_MAX_LABEL);
    s.putAll(j);
    String split = f.text(s, "split", "data.judgments.");
    if (split != null
        && !split.equals(Splits.TRAIN_MINUS_DEV)
        && !split.equals(JudgmentSnapshot.ALL)) {
      f.problem(
          "data.judgments.split",
          "expected "
              + Splits.TRAIN_MINUS_DEV
              + " or "
              + JudgmentSnapshot.ALL
              + ", was '"
              + split
              + "' (the dev split is the expert evaluation set: a model is never trained on it)");
    }
    int min = f.integer(s, "min_label", 1, "data.judgments.");
    int neg = f.integer(s, "negative_max_label", 0, "data.judgments.");
    if (min > JudgedExample.MAX_LABEL) {
      f.problem(
          "data.judgments.min_label", "expected 1 to " + JudgedExample.MAX_LABEL + ", was " + min);
    }
    if (neg >= min) {
      f.problem(
          "data.judgments.negative_max_label",
          "expected below min_label (" + min + "), was " + neg);
    }
    return f.problemCount() > before ? null : new JudgmentData(dir, split, min, neg);
  }
}
