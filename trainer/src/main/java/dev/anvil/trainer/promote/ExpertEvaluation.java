package dev.anvil.trainer.promote;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import dev.anvil.eval.snapshot.JudgedExample;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.eval.snapshot.SnapshotException;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.ModelCardException;
import dev.anvil.trainer.model.ModelFormatException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The gate's expert rule ({@link GateRules.ExpertEval}) for one candidate: the expert evaluation
 * set (the dev split of a judgments snapshot, graded), checked to share no query with what the
 * candidate was trained on, and what the decision adds to the candidate's model card.
 *
 * @param rule the rule
 * @param snapshotId the snapshot's id
 * @param set the expert evaluation set
 */
record ExpertEvaluation(GateRules.ExpertEval rule, String snapshotId, BeirDataset set) {
  /** The metric of the expert rule: graded nDCG@10. */
  static final String METRIC = "ndcg@10";

  /** The model card's field listing each expert evaluation of the model. */
  static final String CARD_FIELD = "expert_evaluations";

  /** Most overlapping queries quoted in a refusal. */
  private static final int QUOTED = 3;

  /**
   * The expert set for {@code candidate}.
   *
   * @throws GateRulesException if the snapshot cannot be read, or the candidate was trained on any
   *     of its dev queries: nothing is scored or audited
   */
  static ExpertEvaluation prepare(GateRules.ExpertEval rule, Path candidate) {
    JudgmentSnapshot snapshot;
    BeirDataset set;
    try {
      snapshot = JudgmentSnapshot.read(rule.dataset());
      set = snapshot.expertSet();
    } catch (SnapshotException e) {
      throw new GateRulesException(List.of("expert_eval.dataset: " + e.getMessage()));
    }
    Set<String> trained = trainedQueries(candidate);
    List<String> overlap = new ArrayList<>();
    for (JudgedExample e : snapshot.split(Splits.DEV)) {
      if (trained.contains(e.queryId()) && !overlap.contains(e.query())) {
        overlap.add(e.query());
      }
    }
    if (!overlap.isEmpty()) {
      throw new GateRulesException(
          List.of(
              "expert_eval: the candidate "
                  + candidate.getFileName()
                  + " was trained on "
                  + overlap.size()
                  + " of the queries of the expert evaluation set (the dev split of snapshot "
                  + snapshot.id()
                  + "), e.g. '"
                  + String.join("', '", overlap.subList(0, Math.min(QUOTED, overlap.size())))
                  + "': a gate never decides on what the candidate learned. Train on split"
                  + " train-minus-dev of that snapshot, or evaluate on a snapshot of other queries"));
    }
    return new ExpertEvaluation(rule, snapshot.id(), set);
  }

  /** The split the decision records: {@code dev of js-...}. */
  String split() {
    return Splits.DEV + " of " + snapshotId;
  }

  /** Why the rule fails, if it does. */
  Optional<String> reason(GateDecision.Score s) {
    if (s.delta() >= rule.minGainNdcg10()) {
      return Optional.empty();
    }
    return Optional.of(
        String.format(
            Locale.ROOT,
            "expert_eval: graded %s on the experts' set (%s, %d queries): %.4f vs %.4f in"
                + " service (%+.4f); the candidate must gain at least %.4f",
            METRIC,
            split(),
            set.queries().size(),
            s.candidate(),
            s.serving(),
            s.delta(),
            rule.minGainNdcg10()));
  }

  /** The query ids of every judgments snapshot the candidate's card says it was trained on. */
  static Set<String> trainedQueries(Path candidate) {
    Optional<ModelCard> card;
    try {
      card = ModelCard.read(candidate);
    } catch (ModelCardException e) {
      throw new ModelFormatException(e.getMessage(), e);
    }
    Set<String> out = new LinkedHashSet<>();
    if (card.isEmpty() || !(card.get().json().get("data") instanceof JsonArray data)) {
      return out;
    }
    for (JsonElement d : data) {
      if (d instanceof JsonObject o
          && o.get("judgments") instanceof JsonObject j
          && j.get("queries") instanceof JsonArray q) {
        q.forEach(x -> out.add(x.getAsString()));
      }
    }
    return out;
  }

  /**
   * Adds the decision's expert numbers to the candidate's card ({@value #CARD_FIELD}), if it has a
   * card: what the model was measured on by experts, whether or not it was promoted.
   */
  void recordInCard(Path candidate, GateDecision d, GateDecision.Score s) {
    Optional<ModelCard> card;
    try {
      card = ModelCard.read(candidate);
    } catch (ModelCardException e) {
      throw new ModelFormatException(e.getMessage(), e);
    }
    if (card.isEmpty()) {
      return;
    }
    JsonObject json = card.get().json().deepCopy();
    JsonArray list = json.get(CARD_FIELD) instanceof JsonArray a ? a : new JsonArray();
    JsonObject e = new JsonObject();
    e.addProperty("decision", d.id());
    e.addProperty("at", d.at().toString());
    e.addProperty("serving", d.serving());
    e.addProperty("snapshot", snapshotId);
    e.addProperty("split", Splits.DEV);
    e.addProperty("queries", set.queries().size());
    e.addProperty("metric", METRIC);
    e.addProperty("candidate", s.candidate());
    e.addProperty("serving_score", s.serving());
    e.addProperty("gain", s.delta());
    e.addProperty("min_gain", rule.minGainNdcg10());
    e.addProperty("passed", reason(s).isEmpty());
    e.addProperty("promoted", d.promoted());
    list.add(e);
    json.add(CARD_FIELD, list);
    ModelCard.parse(json.toString(), candidate.resolve(ModelCard.FILE).toString()).write(candidate);
  }
}
