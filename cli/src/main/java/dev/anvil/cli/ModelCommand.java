package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.grpc.ContextClient;
import dev.anvil.context.grpc.v1.ModelStatus;
import dev.anvil.context.serving.Reembedding;
import dev.anvil.eval.BeirDataset;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.trainer.promote.GateDecision;
import dev.anvil.trainer.promote.GateRules;
import dev.anvil.trainer.promote.PromotionGate;
import dev.anvil.trainer.service.ModelInfo;
import dev.anvil.trainer.service.Promotion;
import dev.anvil.trainer.service.Trainer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code anvil model list|promote|gate|report|switch|rollback}: the trainer's models, promoting one
 * into the context engine (local, or running with {@code --engine}), and a model's once-only test
 * report.
 */
@Command(
    name = "model",
    description =
        "List models; gate, switch to and roll back the context engine's embedding model.",
    mixinStandardHelpOptions = true,
    subcommands = {
      ModelCommand.ListModels.class,
      ModelCommand.Promote.class,
      ModelCommand.Gate.class,
      ModelReportCommand.class,
      ModelCommand.Switch.class,
      ModelCommand.Rollback.class
    })
final class ModelCommand {
  private ModelCommand() {}

  @Command(name = "list", description = "The models you may read (read_model on their lineage).")
  static final class ListModels implements Callable<Integer> {
    @Mixin TrainerOptions trainer;

    @Override
    public Integer call() {
      PrintWriter out = trainer.pack.out();
      try (Trainer t = trainer.open(Optional.empty())) {
        out.printf("%-48s %-10s %-8s %-5s %s%n", "MODEL", "TASK", "OWNER", "ONNX", "LINEAGE");
        for (ModelInfo m : t.models()) {
          out.printf(
              "%-48s %-10s %-8s %-5s %s%n",
              m.id(), m.task(), m.owner(), m.onnx() ? "yes" : "no", m.lineage());
        }
      }
      return 0;
    }
  }

  @Command(
      name = "promote",
      description = {
        "Put a model in service: the trainer's gate decides (--trainer's, or the --gate-* options",
        "here), then the engine (--engine HOST:PORT, every replica of it, or the local index)",
        "re-embeds with it in the background and switches. The caller must be allowed to promote",
        "on the model's lineage. Exit code 0: serving it; 1: refused."
      })
  static final class Promote implements Callable<Integer> {
    @Mixin TrainerOptions trainer;
    @Mixin EngineOptions engineOptions;

    @Mixin TrainCommand.GateOptions gate;

    @Parameters(paramLabel = "MODEL", description = "The model's id (anvil model list).")
    String model;

    @Mixin Engines engines;

    @Option(
        names = "--chunks-per-second",
        defaultValue = "0",
        description =
            "Throttle of the re-embedding (0: as fast as it goes; default: ${DEFAULT-VALUE}).")
    double rate;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = trainer.pack.out();
      Principal who = trainer.principal.resolve(trainer.pack.pack());
      if (engines.given()) {
        List<ContextClient> replicas =
            engines.connect(trainer.principal.bearer(trainer.pack.pack()), trainer.tls);
        try {
          List<ModelStatus> serving = replicas.stream().map(ContextClient::model).toList();
          if (serving.stream().map(ModelStatus::getModelDigest).distinct().count() > 1) {
            throw new RbacException(
                "the engines serve different models "
                    + serving.stream().map(ModelStatus::getModelId).distinct().toList()
                    + "; roll them back to one first");
          }
          // The gate measures against the model the engines serve; the verdict names its digest.
          Promotion p = decide(who, serving.getFirst().getRegistryModelId());
          if (!p.decision().promoted()) {
            return Main.FAILED;
          }
          // Every replica re-embeds at once; each switches when its own index is complete.
          List<String> targets = new ArrayList<>();
          for (ContextClient c : replicas) {
            targets.add(c.switchModel(model, rate, false).getReembedding().getModelId());
          }
          return report(trainer.pack, engines, targets, follow(replicas));
        } finally {
          replicas.forEach(ContextClient::close);
        }
      }
      try (AuditLog log = engineOptions.openAudit();
          OnnxEmbedder embedder = engineOptions.embedder();
          ContextEngine local = engineOptions.open(trainer.pack, embedder)) {
        Promotion p = decide(who, local.registryId().orElse(""));
        if (!p.decision().promoted()) {
          return Main.FAILED;
        }
        String from = local.modelId();
        WriteAudit audit = EngineOptions.recorder(log, who, local);
        String to = follow(local, local.switchTo(who, model, rate, false, audit).reembedding());
        out.printf("serving %s (was %s; anvil model rollback returns to it)%n", to, from);
        return 0;
      }
    }

    private Promotion decide(Principal who, String servingModelId) {
      try (Trainer t = trainer.open(Optional.of(who), gate.setup())) {
        Promotion p = t.promote(model, servingModelId);
        print(trainer.pack.out(), p.decision());
        return p;
      }
    }
  }

  /** Running engines: one or more replicas, each of which is told. */
  static final class Engines {
    @Option(
        names = "--engine",
        paramLabel = "HOST:PORT",
        split = ",",
        description = {
          "A running context engine (anvil serve); default: the local index. Name every replica",
          "(comma-separated, e.g. the headless Service's per-pod names): each one is told."
        })
    List<String> addresses = new ArrayList<>();

    boolean given() {
      return !addresses.isEmpty();
    }

    /** Every replica, reached over {@code tls}'s transport. */
    List<ContextClient> connect(String token, ClientTlsOptions tls) {
      return addresses.stream()
          .map(a -> HostPort.parse("--engine", a))
          .map(
              hp ->
                  ContextClient.connect(
                      hp.host(), hp.port(), tls.transport(hp), () -> token, Duration.ofSeconds(30)))
          .toList();
    }
  }

  /** Says what each replica serves at the end; FAILED if one did not switch to its target. */
  static int report(
      PolicyCommand.PackOption pack, Engines engines, List<String> targets, List<ModelStatus> end) {
    for (int i = 0; i < end.size(); i++) {
      ModelStatus s = end.get(i);
      if (!s.getModelId().equals(targets.get(i))) {
        pack.err()
            .printf(
                "anvil: %s: the re-embedding %s: %s%n",
                engines.addresses.get(i),
                s.getReembedding().getState(),
                s.getReembedding().getError());
        return Main.FAILED;
      }
      pack.out()
          .printf(
              "%s: serving %s (was %s; anvil model rollback --engine returns to it)%n",
              engines.addresses.get(i), s.getModelId(), s.getPreviousModelId());
    }
    return 0;
  }

  /** Shows the re-embeddings of running engines until none runs; returns their last states. */
  static List<ModelStatus> follow(List<ContextClient> replicas) throws InterruptedException {
    List<ModelStatus> states = replicas.stream().map(ContextClient::model).toList();
    try (ProgressBar bar = Progress.bar("re-embedding", 1)) {
      while (true) {
        bar.maxHint(
            Math.max(1, states.stream().mapToLong(s -> s.getReembedding().getTotal()).sum()));
        bar.stepTo(states.stream().mapToLong(s -> s.getReembedding().getDone()).sum());
        if (states.stream().noneMatch(s -> s.getReembedding().getState().equals("running"))) {
          return states;
        }
        Thread.sleep(500);
        states = replicas.stream().map(ContextClient::model).toList();
      }
    }
  }

  /** Shows a local re-embedding's progress until the switch; returns the model now serving. */
  static String follow(ContextEngine engine, Reembedding r) throws Exception {
    try (ProgressBar bar = Progress.bar("re-embedding", Math.max(1, engine.chunkCount()))) {
      while (!r.finished().isDone()) {
        bar.stepTo(r.done());
        Thread.sleep(200);
      }
      bar.stepTo(r.done());
    }
    return r.finished().get(1, TimeUnit.SECONDS);
  }

  /** A gate decision with every number it was made on. */
  static void print(PrintWriter out, GateDecision d) {
    out.printf(
        "%s: %s on the evaluation set (%s) %.4f vs %.4f (%+.4f), on the regression set (%s) %.4f"
            + " vs %.4f (%+.4f); lineage %s%n",
        d.id(),
        d.rules().metric(),
        d.evaluation().split(),
        d.evaluation().candidate(),
        d.evaluation().serving(),
        d.evaluation().delta(),
        d.regression().split(),
        d.regression().candidate(),
        d.regression().serving(),
        d.regression().delta(),
        d.candidateLineage());
    d.expert()
        .ifPresent(
            e ->
                out.printf(
                    "  experts' graded %s (%s; gain asked %.4f): %.4f vs %.4f (%+.4f)%n",
                    e.metric(),
                    e.split(),
                    d.rules().expertEval().orElseThrow().minGainNdcg10(),
                    e.candidate(),
                    e.serving(),
                    e.delta()));
    switch (d.verdict()) {
      case GateDecision.Promote p -> out.println("promote " + d.candidate());
      case GateDecision.Refuse refused -> {
        out.println("refused " + d.candidate() + ":");
        refused.reasons().forEach(reason -> out.println("  " + reason));
      }
    }
    out.flush();
  }

  @Command(
      name = "gate",
      description = {
        "Decide whether CANDIDATE may replace the serving model, by the admin's rules (--rules):",
        "a margin on --eval, no regression on --regression, lineage within max_lineage, all on",
        "a dev split (--split; never test: test is reported once per model, anvil model report).",
        "The decision, with every number and split, is appended to <data>/models/gate.jsonl.",
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

    @Option(
        names = "--split",
        defaultValue = PromotionGate.DEFAULT_SPLIT,
        description = {
          "qrels split of both sets (default: ${DEFAULT-VALUE}: qrels/dev.tsv, or carved from",
          "qrels/train.tsv; docs/trainer.md#honest-evaluation). test is refused."
        })
    String split;

    @Option(
        names = "--rules",
        required = true,
        paramLabel = "FILE",
        description =
            "Gate rules (YAML: metric, min_margin, max_regression, max_lineage, expert_eval).")
    Path rules;

    @Override
    public Integer call() {
      PrintWriter out = pack.out();
      PromotionGate.requireNotTest("--split", split); // before anything is read or measured
      PolicyStore policies = PolicyStore.open(pack.pack());
      GateRules r = GateRules.read(rules, policies.current().schema());
      PromotionGate gate =
          new PromotionGate(
              policies.current().schema(), TrainerOptions.models().resolve("gate.jsonl"));
      GateDecision d =
          gate.decide(
              candidate,
              serving,
              BeirDataset.load(eval, split),
              BeirDataset.load(regression, split),
              r,
              new PromotionGate.Asked("operator", policies.current().version()));
      print(out, d);
      return d.promoted() ? 0 : Main.FAILED;
    }
  }

  @Command(
      name = "switch",
      description = {
        "Switch the engine (--engine HOST:PORT, every replica of it, or the local index) to MODEL",
        "of the registry: it re-embeds in the background; searches keep the old model until the",
        "new index is complete, and the old one stays, still written to, for anvil model rollback.",
        "Needs promote on the model's lineage and a passing gate verdict against the model in",
        "service (anvil model promote records one), or --override-gate (override_gate, audited)."
      })
  static final class Switch implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin PolicyCommand.PrincipalOptions principal;
    @Mixin EngineOptions engineOptions;
    @Mixin Engines engines;
    @Mixin ClientTlsOptions tls;

    @Parameters(paramLabel = "MODEL", description = "The model's id (anvil model list).")
    String model;

    @Option(
        names = "--override-gate",
        description = "Switch without a passing gate verdict (needs override_gate; audited).")
    boolean overrideGate;

    @Option(
        names = "--chunks-per-second",
        defaultValue = "0",
        description = "Throttle (0: as fast as it goes; default: ${DEFAULT-VALUE}).")
    double rate;

    @Override
    public Integer call() throws Exception {
      if (engines.given()) {
        List<ContextClient> replicas = engines.connect(principal.bearer(pack.pack()), tls);
        try {
          List<String> targets = new ArrayList<>();
          for (ContextClient c : replicas) {
            targets.add(c.switchModel(model, rate, overrideGate).getReembedding().getModelId());
          }
          return report(pack, engines, targets, follow(replicas));
        } finally {
          replicas.forEach(ContextClient::close);
        }
      }
      Principal who = principal.resolve(pack.pack());
      try (AuditLog log = engineOptions.openAudit();
          OnnxEmbedder embedder = engineOptions.embedder();
          ContextEngine engine = engineOptions.open(pack, embedder)) {
        String from = engine.modelId();
        WriteAudit audit = EngineOptions.recorder(log, who, engine);
        String to =
            follow(engine, engine.switchTo(who, model, rate, overrideGate, audit).reembedding());
        pack.out().printf("serving %s (was %s; anvil model rollback returns to it)%n", to, from);
        return 0;
      }
    }
  }

  @Command(
      name = "rollback",
      description = {
        "Serve the previous model again (no re-embedding): the local index, or a running engine",
        "(--engine, as a principal allowed to promote the model taken out of service).",
        "With --drop, stop keeping the previous model instead: writes are embedded once again",
        "and its index is deleted (allowed to whoever may promote the model kept)."
      })
  static final class Rollback implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin PolicyCommand.PrincipalOptions principal;
    @Mixin EngineOptions engineOptions;
    @Mixin Engines engines;
    @Mixin ClientTlsOptions tls;

    @Option(
        names = "--drop",
        description = "Drop the model kept for a rollback instead of returning to it.")
    boolean drop;

    @Override
    public Integer call() {
      if (engines.given()) {
        List<ContextClient> replicas = engines.connect(principal.bearer(pack.pack()), tls);
        try {
          for (int i = 0; i < replicas.size(); i++) {
            ContextClient replica = replicas.get(i);
            pack.out()
                .printf(
                    "%s: %s%n",
                    engines.addresses.get(i),
                    drop
                        ? "no rollback kept; serving " + replica.dropRollback().getModelId()
                        : "serving " + replica.rollbackModel().getModelId());
          }
          return 0;
        } finally {
          replicas.forEach(ContextClient::close);
        }
      }
      try (AuditLog log = engineOptions.openAudit();
          OnnxEmbedder embedder = engineOptions.embedder();
          ContextEngine local = engineOptions.open(pack, embedder)) {
        if (principal.named()) { // decided by the policies, as over gRPC
          Principal who = principal.resolve(pack.pack());
          WriteAudit audit = EngineOptions.recorder(log, who, local);
          pack.out()
              .println(
                  drop
                      ? "dropped the rollback to " + local.dropRollback(who, audit)
                      : "serving " + local.rollback(who, audit));
          return 0;
        }
        // The operator, who holds the index's files: recorded as such, before it is done.
        log.recorder("operator", "operator", "anvil-cli", local::modelId)
            .record(
                drop ? "drop_rollback" : "rollback_model",
                List.of(),
                local.policies().current().version(),
                "OK");
        pack.out()
            .println(
                drop
                    ? "dropped the rollback to " + local.dropRollback()
                    : "serving " + local.rollback());
        return 0;
      }
    }
  }
}
