package dev.anvil.cli;

import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.input.RbacException;
import dev.anvil.rpc.AuthInterceptor;
import dev.anvil.rpc.GrpcServer;
import dev.anvil.trainer.grpc.TrainerServer;
import dev.anvil.trainer.job.JobEvent;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobSpec;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.promote.PromotionGate;
import dev.anvil.trainer.service.GateSetup;
import dev.anvil.trainer.service.JobEventTopic;
import dev.anvil.trainer.service.JobView;
import dev.anvil.trainer.service.LocalTrainer;
import dev.anvil.trainer.service.Submission;
import dev.anvil.trainer.service.Trainer;
import dev.anvil.trainer.service.TrainerLimits;
import dev.anvil.trainer.synth.CorpusSource;
import io.opentelemetry.api.GlobalOpenTelemetry;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code anvil train ...}: fine-tuning jobs, in the local job store or on a trainer service ({@code
 * --trainer}); {@code anvil train serve} runs that service.
 */
@Command(
    name = "train",
    description =
        "Submit, watch and cancel fine-tuning jobs (DJL, PyTorch engine; GPU if present).",
    mixinStandardHelpOptions = true,
    subcommands = {
      TrainCommand.Submit.class,
      TrainCommand.ListJobs.class,
      TrainCommand.Status.class,
      TrainCommand.Logs.class,
      TrainCommand.Cancel.class,
      TrainCommand.Worker.class,
      TrainCommand.Serve.class
    })
final class TrainCommand {
  private TrainCommand() {}

  static JobRunner runner(PolicyStore policies, JobStore store) {
    return new JobRunner(
        store,
        policies,
        TrainerOptions.models(),
        JobRunner.defaultDevice(),
        GlobalOpenTelemetry.get());
  }

  @Command(
      name = "submit",
      description = {
        "Queue a job from its YAML spec and follow it with a progress bar (unless --detach).",
        "Locally, it runs here; with --trainer, its data files are sent to the trainer service.",
        "The owner (--as, --token, or the spec's owner) must be allowed to submit, and to train",
        "on every example. Locally, a spec's data.engine corpus is read from the local index."
      })
  static final class Submit implements Callable<Integer> {
    @Mixin TrainerOptions trainer;
    @Mixin EngineOptions index;

    @Parameters(paramLabel = "SPEC", description = "The job spec (YAML).")
    Path spec;

    @Option(names = "--detach", description = "Queue it and return; a background worker runs it.")
    boolean detach;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = trainer.pack.out();
      // Locally the spec is checked here first; a trainer service checks it against its own
      // files (an absolute base model path is on the trainer), and the token names the owner.
      JobSpec parsed = trainer.remote() ? null : JobSpec.read(spec);
      Principal owner =
          trainer.remote() ? trainer.principal.resolve(trainer.pack.pack()) : owner(parsed);
      if (parsed != null && parsed.engine().isPresent()) {
        // The corpus comes from the local index, read as the owner while the job is submitted.
        try (var embedder = index.embedder();
            var engine = index.open(trainer.pack, embedder)) {
          return submit(out, owner, Optional.of(CorpusSources.local(engine, owner)));
        }
      }
      return submit(out, owner, Optional.empty());
    }

    private int submit(PrintWriter out, Principal owner, Optional<CorpusSource> corpus)
        throws Exception {
      try (Trainer t = trainer.open(Optional.of(owner), Optional.empty(), corpus)) {
        JobView job = t.submit(trainer.remote() ? Submission.upload(spec) : Submission.local(spec));
        out.printf("submitted %s (owner %s)%n", job.id(), job.owner());
        out.flush();
        if (detach) {
          if (!trainer.remote()) {
            startBackgroundWorker();
          }
          out.printf("running in the background; follow with: anvil train logs -f %s%n", job.id());
          return 0;
        }
        if (!trainer.remote() && !runHere(out)) {
          return Main.FAILED;
        }
        JobView end = t.follow(job.id(), 0, new Printer(out, true));
        return end.state() instanceof JobState.Succeeded ? 0 : Main.FAILED;
      }
    }

    /** Starts draining the local store in this process; false if the worker failed at once. */
    private boolean runHere(PrintWriter out) throws InterruptedException {
      JobRunner runner = runner(PolicyStore.open(trainer.pack.pack()), TrainerOptions.store());
      CompletableFuture<Boolean> worker = new CompletableFuture<>();
      Thread thread =
          new Thread(
              () -> {
                try {
                  worker.complete(runner.drain());
                } catch (RuntimeException | Error e) {
                  worker.completeExceptionally(e);
                }
              },
              "anvil-train-worker");
      thread.setDaemon(true);
      thread.start();
      try {
        if (!worker.get(2, TimeUnit.SECONDS)) {
          out.println("another worker is using this device; the job waits for it");
        }
      } catch (TimeoutException e) {
        // running: follow it
      } catch (ExecutionException e) {
        trainer.pack.err().println("anvil: the training worker failed: " + e.getCause());
        return false;
      }
      return true;
    }

    /** --as/--token/--subject, or else the spec's {@code owner}; both must agree when given. */
    private Principal owner(JobSpec parsed) {
      if (trainer.named()) {
        Principal p = trainer.principal.resolve(trainer.pack.pack());
        if (parsed.owner().isPresent() && !parsed.owner().get().equals(p.subject())) {
          throw new RbacException(
              "the spec names owner '"
                  + parsed.owner().get()
                  + "' but the job is submitted as "
                  + p.subject());
        }
        return p;
      }
      return trainer.owner(
          parsed
              .owner()
              .orElseThrow(
                  () ->
                      new RbacException(
                          "who owns the job? give --as NAME, --token JWT, or owner: in the spec")));
    }

    private static void startBackgroundWorker() throws Exception {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(Main.class.getName());
      cmd.add("train");
      cmd.add("worker");
      Path log = TrainerOptions.jobs().resolve("worker.log");
      new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    }
  }

  @Command(name = "list", description = "The jobs you may see, with their states.")
  static final class ListJobs implements Callable<Integer> {
    @Mixin TrainerOptions trainer;

    @Override
    public Integer call() {
      PrintWriter out = trainer.pack.out();
      try (Trainer t = trainer.open(Optional.empty())) {
        out.printf("%-44s %-10s %-12s %-8s %s%n", "JOB", "STATE", "PROGRESS", "OWNER", "SUBMITTED");
        for (JobView j : t.jobs()) {
          String progress =
              j.state() instanceof JobState.Running r ? r.step() + "/" + r.totalSteps() : "";
          out.printf(
              "%-44s %-10s %-12s %-8s %s%n",
              j.id(), j.state().label(), progress, j.owner(), j.submitted());
        }
      }
      return 0;
    }
  }

  @Command(name = "status", description = "A job's state, metrics and model.")
  static final class Status implements Callable<Integer> {
    @Mixin TrainerOptions trainer;

    @Parameters(paramLabel = "JOB", description = "Job id (or a unique prefix).")
    String id;

    @Override
    public Integer call() {
      PrintWriter out = trainer.pack.out();
      try (Trainer t = trainer.open(Optional.empty())) {
        JobView j = t.job(id);
        out.printf(
            "job:       %s%nowner:     %s%nsubmitted: %s%nstate:     %s since %s%n",
            j.id(), j.owner(), j.submitted(), j.state().label(), j.state().at());
        switch (j.state()) {
          case JobState.Running r ->
              out.printf("progress:  step %d of %d%n", r.step(), r.totalSteps());
          case JobState.Succeeded s ->
              out.printf("model:     %s%nmetrics:   %s%n", s.model(), s.metrics());
          case JobState.Failed f -> out.printf("reason:    %s%n", f.reason());
          default -> {}
        }
      }
      return 0;
    }
  }

  @Command(
      name = "logs",
      description = "A job's history: states, loss, learning rate, throughput, evaluations.")
  static final class Logs implements Callable<Integer> {
    @Mixin TrainerOptions trainer;

    @Parameters(paramLabel = "JOB", description = "Job id (or a unique prefix).")
    String id;

    @Option(
        names = {"-f", "--follow"},
        description = "Keep printing until the job is over.")
    boolean follow;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = trainer.pack.out();
      try (Trainer t = trainer.open(Optional.empty())) {
        if (follow) {
          t.follow(id, 0, new Printer(out, false));
        } else {
          t.events(id, 0).forEach(e -> out.println(e.describe()));
        }
      }
      return 0;
    }
  }

  @Command(name = "cancel", description = "Cancel a job: queued at once, running at its next step.")
  static final class Cancel implements Callable<Integer> {
    @Mixin TrainerOptions trainer;

    @Parameters(paramLabel = "JOB", description = "Job id (or a unique prefix).")
    String id;

    @Override
    public Integer call() {
      try (Trainer t = trainer.open(Optional.empty())) {
        JobView j = t.cancel(id);
        trainer.pack.out().printf("cancelling %s (%s)%n", j.id(), j.state().label());
      }
      return 0;
    }
  }

  /** How often a worker looks for new jobs. */
  static final class PollOption {
    @Option(
        names = "--poll",
        paramLabel = "SECONDS",
        defaultValue = "2",
        description = "Seconds between looks at the job store (default: ${DEFAULT-VALUE}).")
    int seconds;
  }

  @Command(
      name = "worker",
      description = {
        "Run queued jobs (and resume interrupted ones) one at a time, then exit;",
        "with --watch, keep waiting for new jobs."
      })
  static final class Worker implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin PollOption poll;

    @Option(names = "--watch", description = "Keep running: look for new jobs every --poll.")
    boolean watch;

    @Override
    public Integer call() throws InterruptedException {
      JobRunner runner = runner(PolicyStore.open(pack.pack()), TrainerOptions.store());
      if (!watch) {
        if (!runner.drain()) {
          pack.err().println("another worker is using this device");
          return Main.FAILED;
        }
        return 0;
      }
      pack.out().printf("anvil: watching %s for jobs%n", TrainerOptions.jobs());
      pack.out().flush();
      watch(runner, poll.seconds);
      return 0;
    }
  }

  /**
   * Runs jobs until the process ends: drain() returns false while another worker holds the device,
   * so just look again later. A SIGTERM ends the process; a job it was running resumes from its
   * last checkpoint.
   */
  static void watch(JobRunner runner, int pollSeconds) throws InterruptedException {
    while (true) {
      runner.drain();
      Thread.sleep(pollSeconds * 1000L);
    }
  }

  /**
   * The promotion gate of a trainer: all three options or none. Plain options, not a picocli group,
   * so that ANVIL_GATE_* environment variables (the Helm chart's way) fill them too.
   */
  static final class GateOptions {
    @Option(
        names = "--gate-rules",
        paramLabel = "FILE",
        description = "Gate rules (YAML: metric, min_margin, max_regression, max_lineage).")
    Path rules;

    @Option(
        names = "--gate-eval",
        paramLabel = "BEIR_DIR",
        description = "The evaluation set (a BEIR folder) candidates must do better on.")
    Path eval;

    @Option(
        names = "--gate-regression",
        paramLabel = "BEIR_DIR",
        description = "The fixed regression set (a BEIR folder) they must not do worse on.")
    Path regression;

    @Option(
        names = "--gate-split",
        defaultValue = PromotionGate.DEFAULT_SPLIT,
        description = {
          "qrels split of both sets (default: ${DEFAULT-VALUE}: qrels/dev.tsv, or carved from",
          "qrels/train.tsv; docs/trainer.md#honest-evaluation). test is refused."
        })
    String split;

    /**
     * The gate, if configured; the sets are read now, so a missing one stops the start. A test
     * split is refused even without the other options: whoever set it meant a gate on test.
     */
    Optional<GateSetup> setup() {
      PromotionGate.requireNotTest("--gate-split", split);
      int given = (rules == null ? 0 : 1) + (eval == null ? 0 : 1) + (regression == null ? 0 : 1);
      if (given == 0) {
        return Optional.empty();
      }
      if (given < 3) {
        throw new RbacException(
            "the gate needs all of --gate-rules, --gate-eval and --gate-regression");
      }
      return Optional.of(
          new GateSetup(
              rules,
              dev.anvil.eval.BeirDataset.load(eval, split),
              dev.anvil.eval.BeirDataset.load(regression, split)));
    }
  }

  @Command(
      name = "serve",
      description = {
        "Serve the trainer over gRPC (TrainerService, health, reflection) and run its jobs.",
        "Trusts tokens of --issuer, or of the local development issuer with --dev; with --kafka,",
        "every job event also goes to --job-topic; with the --gate-* options, it promotes."
      })
  static final class Serve implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin Identities.IssuerOptions issuer;
    @Mixin ListenOptions listen;
    @Mixin KafkaOptions kafka;
    @Mixin PollOption poll;

    @Mixin GateOptions gate;
    @Mixin TrainerLimitOptions limits;
    @Mixin EngineClientOptions engine;
    @Mixin StoreOptions storeOptions;

    @Option(
        names = "--job-topic",
        paramLabel = "TOPIC",
        defaultValue = "anvil.jobs",
        description = "With --kafka, the topic of job events (default: ${DEFAULT-VALUE}).")
    String jobTopic;

    @Override
    public Integer call() throws Exception {
      TrainerLimits serverLimits = limits.limits(); // a bad --max-* stops the start first
      PolicyStore policies = PolicyStore.open(pack.pack());
      // Refuses to start without an issuer or --dev; maps attributes as the policies in force say.
      var verifier =
          issuer.verifier(DevTokenIssuer.TRAINER_AUDIENCE, () -> policies.current().schema());
      if (listen.policyReload > 0) {
        policies.reloadEvery(Duration.ofSeconds(listen.policyReload));
      }
      // The jobs and the registry's index: the embedded file of the job folder, or --store-url.
      JobStore store =
          storeOptions.given()
              ? LocalJobStores.adopt(new JobStore(storeOptions.open(), TrainerOptions.jobs()))
              : TrainerOptions.store();
      JobEventTopic topic = null;
      if (kafka.enabled()) {
        topic =
            new JobEventTopic(kafka.client(), jobTopic, "anvil-trainer-" + ServeCommand.hostName());
        store.onEvent(topic);
      }
      Optional<GateSetup> setup = gate.setup();
      var corpora = engine.sources(issuer);
      GrpcServer server =
          listen.withHealthPort(
              TrainerServer.start(
                  listen.host,
                  listen.port(7071),
                  listen.transport(),
                  // Called in the caller's gRPC call, whose verified token it exchanges (if a job
                  // needs the engine) for one of the same caller to the engine.
                  who ->
                      new LocalTrainer(
                          store,
                          policies,
                          TrainerOptions.models(),
                          setup,
                          who,
                          corpora.map(c -> c.apply(AuthInterceptor.BEARER_TOKEN.get()))),
                  verifier,
                  serverLimits,
                  GlobalOpenTelemetry.get()));
      JobEventTopic events = topic;
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    server.close();
                    if (events != null) {
                      events.close();
                    }
                  }));
      pack.out()
          .printf(
              "anvil: trainer on %s:%d (%s, policy %s, %s, device %s)%s%s%s%n",
              listen.host,
              server.port(),
              listen.describe(),
              policies.current().version(),
              issuer.dev ? "development issuer" : "issuer " + issuer.issuer(),
              JobRunner.defaultDevice() + ", " + store.store(),
              setup.isPresent() ? ", gate " + gate.rules : "",
              events != null ? ", job events to " + jobTopic : "",
              corpora.isPresent() ? ", corpora from the context engine " + engine.address : "");
      pack.out().flush();
      watch(runner(policies, store), poll.seconds);
      return 0;
    }
  }

  /** Prints a job's events as they come; with {@code bar}, steps move a progress bar. */
  static final class Printer implements Consumer<JobEvent> {
    private final PrintWriter out;
    private final boolean bar;
    private ProgressBar progress;

    Printer(PrintWriter out, boolean bar) {
      this.out = out;
      this.bar = bar;
    }

    @Override
    public void accept(JobEvent e) {
      if (bar && e instanceof JobEvent.Step s) {
        if (progress == null) {
          progress = Progress.bar("train", s.totalSteps());
        }
        progress.stepTo(s.step());
        progress.setExtraMessage(String.format("loss %.4f", s.loss()));
        return;
      }
      if (progress != null && e instanceof JobEvent.StateChanged) {
        progress.close();
        progress = null;
      }
      out.println(e.describe());
      out.flush();
    }
  }
}
