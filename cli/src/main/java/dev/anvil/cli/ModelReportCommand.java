package dev.anvil.cli;

import dev.anvil.modelcard.TestReport;
import dev.anvil.trainer.promote.TestReporter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code anvil model report MODEL_DIR --test BEIR_DIR}: the model's numbers on the test split,
 * measured the first time and recorded in its card; every later call prints the recorded numbers
 * and measures nothing, so test cannot be iterated against.
 */
@Command(
    name = "report",
    description = {
      "Report MODEL_DIR's numbers on the test split of --test (nDCG@10, recall@10, recall@100 by",
      "exact search, on the CPU), once per model: the first call measures and records them in the",
      "model card (test_report); every later call prints the recorded numbers and measures nothing.",
      "Only models with a card (trained by Anvil). Exit code 0: reported (now or before)."
    })
final class ModelReportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "MODEL_DIR", description = "The model's directory (with its card).")
  Path model;

  @Option(
      names = "--test",
      required = true,
      paramLabel = "BEIR_DIR",
      description = "The test set: a BEIR folder with qrels/test.tsv.")
  Path test;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    TestReport.Outcome outcome =
        new TestReporter(Clock.systemUTC()).report(model, test, "operator");
    TestReport r = outcome.report();
    String numbers =
        r.metrics().entrySet().stream()
            .map(e -> String.format("%s %.4f", e.getKey(), e.getValue()))
            .collect(Collectors.joining(", "));
    switch (outcome) {
      case TestReport.Measured m ->
          out.printf(
              "%s on test: %s (%d queries of %s, qrels sha256 %s); recorded in its card, once%n",
              model.getFileName(), numbers, r.queries(), r.dataset(), r.qrelsSha256());
      case TestReport.AlreadyReported a -> {
        out.printf(
            "%s on test: %s (%d queries of %s), as reported at %s by %s; not measured again:"
                + " test is reported once per model%n",
            model.getFileName(), numbers, r.queries(), r.dataset(), r.reportedAt(), r.reportedBy());
        if (!r.dataset().equals(test.toAbsolutePath().normalize().toString())) {
          out.printf("note: the recorded report is on %s, not on %s%n", r.dataset(), test);
        }
      }
    }
    out.flush();
    return 0;
  }
}
