package dev.anvil.cli;

import dev.anvil.eval.Splits;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.eval.snapshot.Provenance;
import dev.anvil.judge.SnapshotExport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code anvil judge snapshot TASK --out DIR}: the task's final labels as a versioned data set, for
 * a fine-tuning job ({@code data.judgments}) and the gate's expert rule ({@code expert_eval}).
 */
@Command(
    name = "snapshot",
    description =
        "Export a task's final labels (agreed or adjudicated) as a versioned snapshot: training"
            + " data and the gate's expert evaluation set (task creator or admin).",
    mixinStandardHelpOptions = true)
final class JudgeSnapshotCommand implements Callable<Integer> {
  @Mixin JudgeCommand.Target target;

  @Parameters(paramLabel = "TASK")
  String task;

  @Option(
      names = "--out",
      required = true,
      paramLabel = "DIR",
      description = "A new or empty folder to write the snapshot into.")
  Path out;

  @Override
  public Integer call() {
    SnapshotExport.Result r = target.run(b -> b.snapshot(task));
    JudgmentSnapshot s = r.snapshot();
    s.write(out);
    Provenance p = s.provenance();
    PrintWriter w = target.out();
    w.printf(
        Locale.ROOT,
        "snapshot %s of task %s: %d final labels (%d agreed, %d adjudicated) of %d queries,"
            + " %d judgments by %d annotators; Fleiss' kappa %s; policy %s%n",
        s.id(),
        p.task(),
        s.examples().size(),
        p.agreed(),
        p.adjudicated(),
        s.queryIds(JudgmentSnapshot.ALL).size(),
        p.judgmentsCounted(),
        p.annotators().size(),
        p.fleissKappa().isPresent()
            ? String.format(Locale.ROOT, "%.3f", p.fleissKappa().getAsDouble())
            : "undefined",
        p.policyVersion());
    w.printf(
        "  %d queries to train on (%s), %d in the expert evaluation set (%s)%n",
        s.queryIds(Splits.TRAIN_MINUS_DEV).size(),
        Splits.TRAIN_MINUS_DEV,
        s.queryIds(Splits.DEV).size(),
        Splits.DEV);
    if (r.changedSinceJudged() > 0) {
      w.printf(
          "  %d final labels left out: their chunk changed since it was judged%n",
          r.changedSinceJudged());
    }
    w.printf("  written to %s%n", out);
    return 0;
  }
}
