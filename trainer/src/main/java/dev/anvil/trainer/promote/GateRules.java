package dev.anvil.trainer.promote;

import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.eval.snapshot.SnapshotException;
import dev.anvil.rbac.input.PairSafeReader;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.rbac.schema.TagType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * An admin's promotion rules for one target engine, e.g.
 *
 * <pre>
 * metric: ndcg@10          # ndcg@10 or recall@10, on the evaluation set
 * min_margin: 0.01         # the candidate must beat the serving model by at least this
 * max_regression: 0.0      # and lose at most this on the regression set
 * max_lineage:             # the highest level, per ordered tag, of data it may be trained on
 *   classification: internal
 * expert_eval:             # optional: experts' judgments (anvil judge snapshot)
 *   dataset: snapshots/kernel   # a snapshot folder, relative to this file; its dev split decides
 *   min_gain_ndcg10: 0.01  # the candidate's nDCG@10 (graded) must beat the serving model's by this
 * </pre>
 *
 * @param maxLineage ordered tag to the highest level a served model's training data may have; an
 *     engine for {@code internal} refuses a model trained on {@code restricted} data
 * @param expertEval the expert evaluation rule, if the admin set one
 */
public record GateRules(
    String metric,
    double minMargin,
    double maxRegression,
    SortedMap<String, String> maxLineage,
    Optional<ExpertEval> expertEval) {
  static final Set<String> METRICS = Set.of("ndcg@10", "recall@10");

  private static final Set<String> FIELDS =
      Set.of("metric", "min_margin", "max_regression", "max_lineage", "expert_eval");
  private static final Set<String> EXPERT_FIELDS = Set.of("dataset", "min_gain_ndcg10");

  public GateRules {
    maxLineage = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(maxLineage));
    Objects.requireNonNull(expertEval, "expertEval");
  }

  /** Rules without an expert evaluation rule. */
  public GateRules(
      String metric, double minMargin, double maxRegression, SortedMap<String, String> maxLineage) {
    this(metric, minMargin, maxRegression, maxLineage, Optional.empty());
  }

  /**
   * The candidate must beat the serving model on experts' judgments: nDCG@10 with the experts'
   * grades as gains, on the dev split of a judgments snapshot (never on what the candidate was
   * trained on).
   *
   * @param dataset the snapshot's folder
   * @param minGainNdcg10 the least gain of nDCG@10 over the serving model
   */
  public record ExpertEval(Path dataset, double minGainNdcg10) {
    public ExpertEval {
      Objects.requireNonNull(dataset, "dataset");
    }
  }

  /** Reads a rules file, checking tags and levels against {@code schema}; all problems at once. */
  public static GateRules read(Path file, TagSchema schema) {
    String yaml;
    try {
      yaml = Files.readString(file);
    } catch (IOException e) {
      throw new GateRulesException(List.of(file + ": cannot read: " + e.getMessage()));
    }
    return parse(file.toString(), yaml, schema, file.toAbsolutePath().getParent());
  }

  /**
   * Parses rules; {@code where} names the source in errors; a relative {@code expert_eval.dataset}
   * is of the working directory.
   */
  public static GateRules parse(String where, String yaml, TagSchema schema) {
    return parse(where, yaml, schema, Path.of("").toAbsolutePath());
  }

  /** Parses rules; a relative {@code expert_eval.dataset} is resolved against {@code base}. */
  public static GateRules parse(String where, String yaml, TagSchema schema, Path base) {
    Object root;
    try {
      root = new Load(LoadSettings.builder().build()).loadFromReader(new PairSafeReader(yaml));
    } catch (YamlEngineException e) {
      throw new GateRulesException(List.of(where + ": not valid YAML: " + e.getMessage()));
    }
    List<String> problems = new ArrayList<>();
    if (!(root instanceof Map<?, ?> m)) {
      throw new GateRulesException(List.of(where + ": expected a mapping of fields"));
    }
    for (Object key : m.keySet()) {
      if (!FIELDS.contains(key)) {
        problems.add(where + ": field '" + key + "': unknown field");
      }
    }
    String metric = String.valueOf(m.containsKey("metric") ? m.get("metric") : "ndcg@10");
    if (!METRICS.contains(metric)) {
      problems.add(
          where + ": field 'metric': expected one of " + METRICS + ", was '" + metric + "'");
    }
    double margin = number(m, "min_margin", 0.0, where, problems);
    double regression = number(m, "max_regression", 0.0, where, problems);
    SortedMap<String, String> lineage = new TreeMap<>();
    if (!(m.get("max_lineage") instanceof Map<?, ?> limits) || limits.isEmpty()) {
      problems.add(
          where
              + ": field 'max_lineage': required: the highest level per ordered tag, e.g."
              + " {classification: internal}");
    } else {
      limits.forEach(
          (tag, level) -> {
            String field = "max_lineage." + tag;
            TagDefinition def = schema.tag(String.valueOf(tag)).orElse(null);
            if (def == null || def.type() != TagType.ORDERED) {
              problems.add(where + ": field '" + field + "': not an ordered tag of the schema");
            } else if (!def.allows(String.valueOf(level))) {
              problems.add(
                  where
                      + ": field '"
                      + field
                      + "': expected one of "
                      + def.values()
                      + ", was '"
                      + level
                      + "'");
            } else {
              lineage.put(String.valueOf(tag), String.valueOf(level));
            }
          });
    }
    Optional<ExpertEval> expert =
        m.containsKey("expert_eval")
            ? expertEval(m.get("expert_eval"), base, where, problems)
            : Optional.empty();
    if (!problems.isEmpty()) {
      throw new GateRulesException(problems);
    }
    return new GateRules(metric, margin, regression, lineage, expert);
  }

  private static Optional<ExpertEval> expertEval(
      Object value, Path base, String where, List<String> problems) {
    if (!(value instanceof Map<?, ?> e)) {
      problems.add(
          where
              + ": field 'expert_eval': expected {dataset: SNAPSHOT_DIR, min_gain_ndcg10: NUMBER}");
      return Optional.empty();
    }
    for (Object key : e.keySet()) {
      if (!EXPERT_FIELDS.contains(key)) {
        problems.add(where + ": field 'expert_eval." + key + "': unknown field");
      }
    }
    double gain = number(e, "min_gain_ndcg10", 0.0, where + ": field 'expert_eval.", problems);
    if (!(e.get("dataset") instanceof String d) || d.isBlank()) {
      problems.add(
          where
              + ": field 'expert_eval.dataset': required: the folder of a judgments snapshot"
              + " (anvil judge snapshot)");
      return Optional.empty();
    }
    Path dir = base.resolve(d).normalize();
    try {
      JudgmentSnapshot.read(dir).expertSet(); // its dev split must have something to decide on
    } catch (SnapshotException ex) {
      problems.add(where + ": field 'expert_eval.dataset': " + ex.getMessage());
      return Optional.empty();
    }
    return Optional.of(new ExpertEval(dir, gain));
  }

  private static double number(
      Map<?, ?> m, String field, double otherwise, String where, List<String> problems) {
    Object v = m.get(field);
    if (v == null) {
      return otherwise;
    }
    if (v instanceof Number n && n.doubleValue() >= 0 && Double.isFinite(n.doubleValue())) {
      return n.doubleValue();
    }
    // where ends with "field 'PARENT." for a nested field
    String name = where.endsWith(".") ? where + field + "'" : where + ": field '" + field + "'";
    problems.add(name + ": expected a number >= 0, was '" + v + "'");
    return otherwise;
  }
}
