package dev.anvil.trainer.job;

import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.eval.snapshot.Provenance;
import dev.anvil.trainer.data.Example;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model card says of a judgments snapshot it was trained on: the snapshot's id and
 * provenance, the split and thresholds, and the ids of the queries trained on, which the promotion
 * gate compares with its expert evaluation set ({@value #QUERIES}).
 */
final class JudgedData {
  /** The snapshot's provenance, copied beside the model it trained. */
  static final String PROVENANCE = "judgments-provenance.json";

  /** The card's field (under a data entry's {@value #FIELD}) listing the query ids trained on. */
  static final String QUERIES = "queries";

  /** The data entry's field describing the snapshot. */
  static final String FIELD = "judgments";

  private JudgedData() {}

  /**
   * Describes the snapshot in the card's data entry, after checking that it is still the one the
   * examples came from (each example names its snapshot's id).
   *
   * @throws IllegalStateException if the folder holds another snapshot now
   */
  static void describe(
      JobSpec.JudgmentData j, Map<String, Object> entry, Path modelDir, List<Example> trained) {
    JudgmentSnapshot s = JudgmentSnapshot.read(j.snapshot());
    String of = JudgmentSnapshot.EXAMPLES + " of " + s.id() + ":";
    if (trained.stream().anyMatch(e -> !e.where().startsWith(of))) {
      throw new IllegalStateException(
          j.snapshot() + ": the snapshot changed while the job ran (now " + s.id() + ")");
    }
    Provenance p = s.provenance();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("snapshot", s.id());
    d.put("task", p.task());
    d.put("split", j.split());
    d.put("min_label", j.minLabel());
    d.put("negative_max_label", j.negativeMaxLabel());
    d.put("judgments_counted", p.judgmentsCounted());
    d.put("annotators", p.annotators());
    if (p.fleissKappa().isPresent()) {
      d.put("fleiss_kappa", p.fleissKappa().getAsDouble());
    }
    d.put("policy_version", p.policyVersion());
    d.put(QUERIES, new ArrayList<>(s.queryIds(j.split())));
    d.put("provenance", PROVENANCE);
    entry.put(FIELD, d);
    try {
      Files.copy(
          j.snapshot().resolve(JudgmentSnapshot.PROVENANCE),
          modelDir.resolve(PROVENANCE),
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the snapshot's provenance to " + modelDir, e);
    }
  }
}
