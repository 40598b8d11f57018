package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.Reembedding;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.eval.BeirDataset;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.trainer.promote.GateDecision;
import dev.anvil.trainer.promote.GateRules;
import dev.anvil.trainer.promote.PromotionGate;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil model gate|switch|rollback}: promote a fine-tuned model into the context engine. */
@Command(
    name = "model",
    description = "Gate, switch to and roll back the context engine's embedding model.",
    mixinStandardHelpOptions = true,
    subcommands = {ModelCommand.Gate.class, ModelCommand.Switch.class, ModelCommand.Rollback.class})
final class ModelCommand {
  private ModelCommand() {}

  @Command(
      name = "gate",
      description = {
        "Decide whether CANDIDATE may replace the serving model, by the admin's rules (--rules):",
        "a margin on --eval, no regression on --regression, lineage within max_lineage.",
        "The decision, with every number, is appended to <data>/models/gate.jsonl.",
        "Exit code 0: promote; 1: refused."
      })
  static final class Gate implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;

    @Parameters(paramLabel = "CANDIDATE", description = "The candidate's model directory.")
    Path candidate;

    @Option(
        names = "--serving",
        required = true,
        paramLabel = "DIR",
        description = "The serving model's directory.")
    Path serving;

    @Option(
        names = "--eval",
        required = true,
        paramLabel = "BEIR_DIR",
        description = "Evaluation set (a BEIR folder; split --split).")
    Path eval;

    @Option(
        names = "--regression",
        required = true,
        paramLabel = "BEIR_DIR",
        description = "Fixed regression set (a BEIR folder).")
    Path regression;

    @Option(names = "--split", defaultValue = "test", description = "qrels split (default: test).")
    String split;

    @Option(
        names = "--rules",
        required = true,
        paramLabel = "FILE",
        description = "Gate rules (YAML: metric, min_margin, max_regression, max_lineage).")
    Path rules;

    @Override
    public Integer call() {
      PrintWriter out = pack.out();
      PolicyStore policies = PolicyStore.open(pack.pack());
      GateRules r = GateRules.read(rules, policies.current().schema());
      PromotionGate gate =
          new PromotionGate(
              policies.current().schema(), TrainCommand.models().resolve("gate.jsonl"));
      GateDecision d =
          gate.decide(
              candidate,
              serving,
              BeirDataset.load(eval, split),
              BeirDataset.load(regression, split),
              r);
      out.printf(
          "%s: %s on the evaluation set %.4f vs %.4f (%+.4f), on the regression set %.4f vs"
              + " %.4f (%+.4f); lineage %s%n",
          d.id(),
          r.metric(),
          d.evaluation().candidate(),
          d.evaluation().serving(),
          d.evaluation().delta(),
          d.regression().candidate(),
          d.regression().serving(),
          d.regression().delta(),
          d.candidateLineage());
      switch (d.verdict()) {
        case GateDecision.Promote p -> out.println("promote " + d.candidate());
        case GateDecision.Refuse refused -> {
          out.println("refused " + d.candidate() + ":");
          refused.reasons().forEach(reason -> out.println("  " + reason));
        }
      }
      return d.promoted() ? 0 : Main.FAILED;
    }
  }

  @Command(
      name = "switch",
      description = {
        "Re-embed the local index with the model in MODEL_DIR (model.onnx, tokenizer.json) and",
        "switch to it; the previous model stays, still written to, for anvil model rollback.",
        "Searches keep the old model until the new index is complete."
      })
  static final class Switch implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin EngineOptions engineOptions;

    @Parameters(paramLabel = "MODEL_DIR", description = "The promoted model's directory.")
    Path model;

    @Option(
        names = "--chunks-per-second",
        defaultValue = "0",
        description = "Throttle (0: as fast as it goes; default: ${DEFAULT-VALUE}).")
    double rate;

    @Override
    public Integer call() throws Exception {
      try (OnnxEmbedder embedder = engineOptions.embedder();
          ContextEngine engine = engineOptions.open(pack, embedder)) {
        String from = engine.modelId();
        Reembedding r = engine.reembed(model, rate);
        try (ProgressBar bar = Progress.bar("re-embedding", Math.max(1, engine.chunkCount()))) {
          while (!r.finished().isDone()) {
            bar.stepTo(r.done());
            Thread.sleep(200);
          }
          bar.stepTo(r.done());
        }
        String to = r.finished().get(1, TimeUnit.SECONDS);
        pack.out().printf("serving %s (was %s; anvil model rollback returns to it)%n", to, from);
        return 0;
      }
    }
  }

  @Command(name = "rollback", description = "Serve the previous model again (no re-embedding).")
  static final class Rollback implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin EngineOptions engineOptions;

    @Override
    public Integer call() {
      try (OnnxEmbedder embedder = engineOptions.embedder();
          ContextEngine engine = engineOptions.open(pack, embedder)) {
        pack.out().println("serving " + engine.rollback());
        return 0;
      }
    }
  }
}
