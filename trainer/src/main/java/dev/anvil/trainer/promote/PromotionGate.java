package dev.anvil.trainer.promote;

import ai.djl.Device;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import dev.anvil.events.EventEnvelope;
import dev.anvil.modelcard.GateVerdict;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.ModelCardException;
import dev.anvil.rbac.schema.TagDefinition;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.model.ModelFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Decides whether a candidate model may replace the one in service, by {@link GateRules}, and
 * audits every decision (promoted or not) with its numbers as an event ({@code anvil.model.gate},
 * the envelope of docs/events.md) in an append-only file.
 *
 * <p>Deterministic: both models embed both sets on the CPU (exact search, no sampling), so the same
 * candidate, serving model, sets and rules always get the same numbers and verdict.
 *
 * <p>Honest: the gate decides on a dev split ({@value #DEFAULT_SPLIT} by default: a folder's own
 * {@code qrels/dev.tsv}, or the part of its training judgements that {@link Splits} carves off) and
 * refuses sets of the test split, so that a model's test number ({@link TestReporter}) stays an
 * estimate nothing was chosen on. Each decision records the split of each set. An expert rule
 * ({@link GateRules.ExpertEval}) decides on the dev split of a judgments snapshot, and is refused
 * for a candidate trained on any of its queries.
 */
public final class PromotionGate {
  /** Tokens per text when scoring (the context engine's chunks are at most 256). */
  public static final int MAX_TOKENS = 256;

  /** The split the gate decides on unless told otherwise. */
  public static final String DEFAULT_SPLIT = Splits.DEV;

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private final TagSchema schema;
  private final Path auditFile;

  /**
   * @param schema the tag schema the lineage levels are ordered by
   * @param auditFile where decisions are appended, one JSON event per line
   */
  public PromotionGate(TagSchema schema, Path auditFile) {
    this.schema = schema;
    this.auditFile = auditFile;
  }

  /**
   * Who asked the gate, and the policy version in force: recorded with a passing verdict.
   *
   * @param by a subject, or {@code operator}
   */
  public record Asked(String by, String policyVersion) {}

  /**
   * Scores {@code candidate} and {@code serving} (model directories: Hugging Face or ONNX with a
   * tokenizer) on both sets, applies {@code rules} and appends the decision to the audit file. A
   * passing decision between two ONNX models is also recorded beside the candidate as a {@link
   * GateVerdict} for the exact bytes of both: what an engine needs to switch to it.
   *
   * @throws GateRulesException if either set is of the test split: nothing is scored or audited
   */
  public GateDecision decide(
      Path candidate,
      Path serving,
      BeirDataset evaluation,
      BeirDataset regression,
      GateRules rules,
      Asked asked) {
    requireNotTest("the evaluation set's split", evaluation.split());
    requireNotTest("the regression set's split", regression.split());
    SortedMap<String, Object> lineage = lineage(candidate);
    Optional<ExpertEvaluation> experts =
        rules.expertEval().map(e -> ExpertEvaluation.prepare(e, candidate));
    List<BeirDataset> sets = new ArrayList<>(List.of(evaluation, regression));
    experts.ifPresent(e -> sets.add(e.set()));
    List<SortedMap<String, Double>> c = score(candidate, sets);
    List<SortedMap<String, Double>> s = score(serving, sets);
    GateDecision.Score eval =
        new GateDecision.Score(
            "evaluation",
            evaluation.split(),
            rules.metric(),
            c.get(0).get(rules.metric()),
            s.get(0).get(rules.metric()));
    GateDecision.Score reg =
        new GateDecision.Score(
            "regression",
            regression.split(),
            rules.metric(),
            c.get(1).get(rules.metric()),
            s.get(1).get(rules.metric()));
    Optional<GateDecision.Score> expert =
        experts.map(
            e ->
                new GateDecision.Score(
                    "expert",
                    e.split(),
                    ExpertEvaluation.METRIC,
                    c.get(2).get(ExpertEvaluation.METRIC),
                    s.get(2).get(ExpertEvaluation.METRIC)));

    List<String> reasons = new ArrayList<>();
    if (eval.delta() < rules.minMargin()) {
      reasons.add(
          String.format(
              "%s on the evaluation set (%s): %.4f vs %.4f in service (%+.4f); the candidate"
                  + " must be better by at least %.4f",
              rules.metric(),
              eval.split(),
              eval.candidate(),
              eval.serving(),
              eval.delta(),
              rules.minMargin()));
    }
    if (-reg.delta() > rules.maxRegression()) {
      reasons.add(
          String.format(
              "%s on the regression set (%s): %.4f vs %.4f in service (%+.4f); at most %.4f"
                  + " worse is allowed",
              rules.metric(),
              reg.split(),
              reg.candidate(),
              reg.serving(),
              reg.delta(),
              rules.maxRegression()));
    }
    if (experts.isPresent()) {
      experts.get().reason(expert.orElseThrow()).ifPresent(reasons::add);
    }
    rules
        .maxLineage()
        .forEach(
            (tag, max) -> {
              TagDefinition def = schema.tag(tag).orElseThrow();
              Object level = lineage.get(tag);
              if (level == null || !def.allows(String.valueOf(level))) {
                reasons.add(
                    "lineage: the model card names no "
                        + tag
                        + " of its training data; an engine limited to "
                        + max
                        + " serves only models whose lineage shows it");
              } else if (def.rank(String.valueOf(level)) > def.rank(max)) {
                reasons.add(
                    "lineage: trained on "
                        + level
                        + " data ("
                        + tag
                        + "); this engine serves models of at most "
                        + max);
              }
            });
    GateDecision.Verdict verdict =
        reasons.isEmpty() ? new GateDecision.Promote() : new GateDecision.Refuse(reasons);
    String id =
        digest(
            String.join(
                "|",
                candidate.toAbsolutePath().toString(),
                serving.toAbsolutePath().toString(),
                rules.toString(),
                eval.toString(),
                reg.toString(),
                expert.toString(),
                verdict.toString()));
    GateDecision d =
        new GateDecision(
            id,
            Instant.now(),
            candidate.getFileName().toString(),
            serving.getFileName().toString(),
            rules,
            eval,
            reg,
            lineage,
            verdict,
            expert);
    audit(d);
    if (experts.isPresent()) {
      experts.get().recordInCard(candidate, d, expert.orElseThrow());
    }
    if (d.promoted()
        && Files.isRegularFile(candidate.resolve("model.onnx"))
        && Files.isRegularFile(serving.resolve("model.onnx"))) {
      new GateVerdict(
              d.id(),
              candidate.getFileName().toString(),
              GateVerdict.digest(candidate),
              GateVerdict.digest(serving),
              asked.by(),
              d.at(),
              asked.policyVersion())
          .record(candidate);
    }
    return d;
  }

  /**
   * {@code split}, if the gate may decide on it: any split but test. {@code option} (e.g. {@code
   * --gate-split}) names where it was given.
   *
   * @throws GateRulesException naming the option when {@code split} is the test split
   */
  public static String requireNotTest(String option, String split) {
    if (Splits.isTest(split)) {
      throw new GateRulesException(
          List.of(
              option
                  + " '"
                  + split
                  + "': the gate never decides on the test split. It decides on a dev split"
                  + " carved from the training data ('"
                  + DEFAULT_SPLIT
                  + "', the default); test is reported once per model (anvil model report)"));
    }
    return split;
  }

  /** The candidate's lineage from its model card; a model without one has none. */
  private static SortedMap<String, Object> lineage(Path model) {
    try {
      return ModelCard.read(model).map(ModelCard::lineage).orElseGet(TreeMap::new);
    } catch (ModelCardException e) {
      throw new ModelFormatException(e.getMessage(), e);
    }
  }

  /**
   * The metrics of a model on each set (the model loaded once, a set given twice scored once: the
   * same expert set may be the evaluation set too).
   */
  private static List<SortedMap<String, Double>> score(Path dir, List<BeirDataset> sets) {
    List<SortedMap<String, Double>> out = new ArrayList<>();
    Map<BeirDataset, SortedMap<String, Double>> seen = new HashMap<>();
    try (EncoderModel model = EncoderModel.load(dir, Device.cpu(), MAX_TOKENS)) {
      for (BeirDataset set : sets) {
        out.add(seen.computeIfAbsent(set, s -> RetrievalScores.of(model, s)));
      }
    }
    return out;
  }

  private void audit(GateDecision d) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("candidate", d.candidate());
    data.put("serving", d.serving());
    data.put("verdict", d.promoted() ? "promote" : "refuse");
    if (d.verdict() instanceof GateDecision.Refuse r) {
      data.put("reasons", r.reasons());
    }
    data.put("evaluation", d.evaluation());
    data.put("regression", d.regression());
    d.expert().ifPresent(e -> data.put("expert", e));
    data.put("candidate_lineage", d.candidateLineage());
    data.put("rules", rulesForAudit(d.rules()));
    EventEnvelope event =
        new EventEnvelope(
            d.id(),
            "anvil.model.gate",
            d.at(),
            "anvil-trainer",
            GSON.toJsonTree(data).getAsJsonObject());
    try {
      Files.createDirectories(auditFile.toAbsolutePath().getParent());
      Files.writeString(
          auditFile,
          event.toJson() + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND,
          StandardOpenOption.SYNC);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot audit the gate decision to " + auditFile, e);
    }
  }

  /** The rules as the audit event shows them (a path as text, an absent rule left out). */
  private static Map<String, Object> rulesForAudit(GateRules r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("metric", r.metric());
    m.put("minMargin", r.minMargin());
    m.put("maxRegression", r.maxRegression());
    m.put("maxLineage", r.maxLineage());
    r.expertEval()
        .ifPresent(
            e ->
                m.put(
                    "expertEval",
                    Map.of("dataset", e.dataset().toString(), "minGainNdcg10", e.minGainNdcg10())));
    return m;
  }

  private static String digest(String s) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return "gate-" + HexFormat.of().formatHex(h, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
