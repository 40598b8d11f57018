package dev.anvil.judge;

import dev.anvil.eval.snapshot.JudgedExample;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.eval.snapshot.Provenance;
import dev.anvil.judge.spi.CorpusChunk;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Exports a task's final labels as a {@link JudgmentSnapshot}: the data set a fine-tuning job
 * trains on and the gate's expert evaluation set.
 *
 * <p>Only the task's creator and whoever may {@code admin} export. A snapshot holds only what its
 * exporter may read now: each chunk is read again as the exporter, and a chunk it may not read is
 * left out exactly as an absent one (nothing in the snapshot, its counts included, tells that it
 * exists). A chunk whose text changed since it was judged is left out too: its label is about a
 * text the snapshot would not hold. Each example carries the chunk's tags as the engine holds them
 * at export, so a job decides {@code train} on them and its model inherits them. Stateless.
 */
public final class SnapshotExport {
  private SnapshotExport() {}

  /**
   * What an export made.
   *
   * @param snapshot the snapshot (not yet written)
   * @param changedSinceJudged final labels left out because their chunk's text changed since
   */
  public record Result(JudgmentSnapshot snapshot, int changedSinceJudged) {}

  /**
   * Exports the final labels of {@code taskId} as {@code who}.
   *
   * @param store names the store the judgments come from, for the provenance (no credentials)
   * @throws NotFoundException if the task does not exist
   * @throws DeniedException if {@code who} is neither the task's creator nor may {@code admin}
   */
  public static Result export(Judging judging, Principal who, String taskId, String store) {
    Task task = judging.task(taskId);
    PolicySet set = judging.policies();
    if (!who.subject().equals(task.creator()) && !set.decide(who, Action.ADMIN).permitted()) {
      throw new DeniedException(
          "exporting the final labels of task '"
              + task.id()
              + "' is for its creator and administrators");
    }
    AgreementReport agreement = judging.agreement(who, taskId);
    List<JudgedExample> examples = new ArrayList<>();
    TreeSet<String> annotators = new TreeSet<>();
    int counted = 0;
    int agreed = 0;
    int adjudicated = 0;
    int changed = 0;
    for (FinalLabel f : judging.finalLabels(who, taskId)) {
      Optional<CorpusChunk> live = judging.corpus().chunk(who, f.documentId(), f.chunk());
      if (live.isEmpty() || !Access.permitted(set, who, Action.READ, live.get().tags())) {
        continue; // hidden from who (or deleted): left out as if it never was
      }
      CorpusChunk c = live.get();
      if (!Judging.sha256(c.text()).equals(f.textSha256())) {
        changed++;
        continue;
      }
      examples.add(
          new JudgedExample(
              JudgedExample.queryId(f.query()),
              f.query(),
              f.documentId(),
              f.chunk(),
              c.title() == null ? "" : c.title(),
              c.text(),
              f.textSha256(),
              f.label(),
              f.basis().name().toLowerCase(java.util.Locale.ROOT),
              f.annotators(),
              c.tags()));
      annotators.addAll(f.annotators());
      counted += f.annotators().size();
      if (f.basis() == FinalLabel.Basis.AGREED) {
        agreed++;
      } else {
        adjudicated++;
      }
    }
    Provenance provenance =
        new Provenance(
            task.id(),
            task.modelId(),
            store,
            who.subject(),
            judging.now(),
            set.version(),
            counted,
            agreed,
            adjudicated,
            List.copyOf(annotators),
            agreement.fleiss(),
            agreement.pairs().stream()
                .map(p -> new Provenance.PairKappa(p.a(), p.b(), p.items(), p.cohen()))
                .toList());
    return new Result(JudgmentSnapshot.of(provenance, examples), changed);
  }
}
