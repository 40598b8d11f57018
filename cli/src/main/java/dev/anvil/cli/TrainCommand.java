package dev.anvil.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.RbacException;
import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobSpec;
import dev.anvil.trainer.job.JobSpecException;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil train ...}: fine-tuning jobs in the local job store. */
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
      TrainCommand.Worker.class
    })
final class TrainCommand {
  private TrainCommand() {}

  static JobStore store() {
    return new JobStore(Identities.dataDir().resolve("jobs"));
  }

  /** Models are registered here, one Hugging Face directory with a model card each. */
  static Path models() {
    return Identities.dataDir().resolve("models");
  }

  static JobRunner runner(PolicyCommand.PackOption pack) {
    return new JobRunner(
        store(), PolicyStore.open(pack.pack()), models(), JobRunner.defaultDevice());
  }

  static Job find(JobStore store, String id) {
    return store
        .find(id)
        .orElseThrow(() -> new RbacException("no job '" + id + "' (see anvil train list)"));
  }

  @Command(
      name = "submit",
      description = {
        "Queue a job from its YAML spec and, unless --detach, run it here with a progress bar.",
        "The owner (--as, --token, or the spec's owner) must be allowed to train on every example."
      })
  static final class Submit implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin PolicyCommand.PrincipalOptions principal;

    @Parameters(paramLabel = "SPEC", description = "The job spec (YAML).")
    Path spec;

    @Option(names = "--detach", description = "Queue it and return; a background worker runs it.")
    boolean detach;

    @Override
    public Integer call() throws Exception {
      JobSpec parsed;
      try {
        parsed = JobSpec.read(spec);
      } catch (JobSpecException e) {
        e.problems().forEach(pack.err()::println);
        return Main.FAILED;
      }
      Principal owner = owner(parsed);
      JobStore store = store();
      Job job =
          store.submit(
              parsed.name(), Files.readString(spec), spec.toAbsolutePath().getParent(), owner);
      pack.out().printf("submitted %s (owner %s)%n", job.id(), owner.subject());
      pack.out().flush();
      if (detach) {
        startBackgroundWorker();
        pack.out()
            .printf("running in the background; follow with: anvil train logs -f %s%n", job.id());
        return 0;
      }
      JobRunner runner = runner(pack);
      java.util.concurrent.CompletableFuture<Boolean> worker =
          new java.util.concurrent.CompletableFuture<>();
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
        if (!worker.get(2, java.util.concurrent.TimeUnit.SECONDS)) {
          pack.out().println("another worker is using this device; the job waits for it");
        }
      } catch (java.util.concurrent.TimeoutException e) {
        // running: follow it
      } catch (java.util.concurrent.ExecutionException e) {
        pack.err().println("anvil: the training worker failed: " + e.getCause());
        return Main.FAILED;
      }
      JobState end = Follow.job(pack.out(), store, job.id(), true);
      return end instanceof JobState.Succeeded ? 0 : Main.FAILED;
    }

    private Principal owner(JobSpec parsed) {
      boolean onCommandLine =
          principal.as != null || principal.subject != null || principal.token != null;
      if (onCommandLine) {
        Principal p = principal.resolve(pack.pack());
        if (parsed.owner().isPresent() && !parsed.owner().get().equals(principal.as)) {
          throw new RbacException(
              "the spec names owner '"
                  + parsed.owner().get()
                  + "' but the job is submitted as "
                  + p.subject());
        }
        return p;
      }
      String name =
          parsed
              .owner()
              .orElseThrow(
                  () ->
                      new RbacException(
                          "who owns the job? give --as NAME, --token JWT, or owner: in the spec"));
      return PrincipalDirectory.load(pack.pack().principalsFile())
          .find(name)
          .orElseThrow(() -> new RbacException("owner '" + name + "' is not in principals.yaml"));
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
      Path log = store().dir().resolve("worker.log");
      new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
    }
  }

  @Command(name = "list", description = "Every job with its state.")
  static final class ListJobs implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;

    @Override
    public Integer call() {
      PrintWriter out = pack.out();
      out.printf("%-44s %-10s %-12s %-8s %s%n", "JOB", "STATE", "PROGRESS", "OWNER", "SUBMITTED");
      for (Job j : store().list()) {
        String progress =
            j.state() instanceof JobState.Running r ? r.step() + "/" + r.totalSteps() : "";
        out.printf(
            "%-44s %-10s %-12s %-8s %s%n",
            j.id(), j.state().label(), progress, j.owner().subject(), j.submitted());
      }
      return 0;
    }
  }

  @Command(name = "status", description = "A job's state, metrics and model.")
  static final class Status implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;

    @Parameters(paramLabel = "JOB", description = "Job id (or a unique prefix).")
    String id;

    @Override
    public Integer call() {
      Job j = find(store(), id);
      PrintWriter out = pack.out();
      out.printf(
          "job:       %s%nowner:     %s%nsubmitted: %s%nstate:     %s since %s%n",
          j.id(), j.owner().subject(), j.submitted(), j.state().label(), j.state().at());
      switch (j.state()) {
        case JobState.Running r ->
            out.printf("progress:  step %d of %d%n", r.step(), r.totalSteps());
        case JobState.Succeeded s ->
            out.printf("model:     %s%nmetrics:   %s%n", s.model(), s.metrics());
        case JobState.Failed f -> out.printf("reason:    %s%n", f.reason());
        default -> {}
      }
      return 0;
    }
  }

  @Command(
      name = "logs",
      description = "A job's history: states, loss, learning rate, throughput, evaluations.")
  static final class Logs implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;

    @Parameters(paramLabel = "JOB", description = "Job id (or a unique prefix).")
    String id;

    @Option(
        names = {"-f", "--follow"},
        description = "Keep printing until the job is over.")
    boolean follow;

    @Override
    public Integer call() throws Exception {
      JobStore store = store();
      Job j = find(store, id);
      if (follow) {
        Follow.job(pack.out(), store, j.id(), false);
      } else {
        store.events(j.id(), 0).forEach(e -> pack.out().println(Follow.describe(e)));
      }
      return 0;
    }
  }

  @Command(name = "cancel", description = "Cancel a job: queued at once, running at its next step.")
  static final class Cancel implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;

    @Parameters(paramLabel = "JOB", description = "Job id (or a unique prefix).")
    String id;

    @Override
    public Integer call() {
      JobStore store = store();
      Job j = find(store, id);
      if (!store.cancel(j.id())) {
        pack.err().printf("%s is already %s%n", j.id(), j.state().label());
        return Main.FAILED;
      }
      pack.out().printf("cancelling %s%n", j.id());
      return 0;
    }
  }

  @Command(
      name = "worker",
      description = {
        "Run queued jobs (and resume interrupted ones) one at a time, then exit;",
        "with --watch, keep waiting for new jobs (the trainer's container)."
      })
  static final class Worker implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;

    @Option(names = "--watch", description = "Keep running: look for new jobs every --poll.")
    boolean watch;

    @Option(
        names = "--poll",
        paramLabel = "SECONDS",
        defaultValue = "2",
        description =
            "With --watch, seconds between looks at the job store (default: ${DEFAULT-VALUE}).")
    int poll;

    @Override
    public Integer call() throws InterruptedException {
      JobRunner runner = runner(pack);
      if (!watch) {
        if (!runner.drain()) {
          pack.err().println("another worker is using this device");
          return Main.FAILED;
        }
        return 0;
      }
      pack.out().printf("anvil: watching %s for jobs%n", store().dir());
      pack.out().flush();
      while (true) {
        // drain() returns false while another worker holds the device: just look again later.
        // A SIGTERM ends the process; a job it was running resumes from its last checkpoint.
        runner.drain();
        Thread.sleep(poll * 1000L);
      }
    }
  }

  /** Prints a job's events as they come. */
  static final class Follow {
    private Follow() {}

    /**
     * Follows until the job is over; with {@code bar}, steps move a progress bar instead of
     * printing.
     */
    static JobState job(PrintWriter out, JobStore store, String id, boolean bar)
        throws InterruptedException {
      int seen = 0;
      ProgressBar progress = null;
      try {
        while (true) {
          JobState state = find(store, id).state();
          for (String line : store.events(id, seen)) {
            seen++;
            JsonObject e = JsonParser.parseString(line).getAsJsonObject();
            if (bar && e.get("type").getAsString().equals("step")) {
              if (progress == null) {
                progress = Progress.bar("train", e.get("total_steps").getAsLong());
              }
              progress.stepTo(e.get("step").getAsLong());
              progress.setExtraMessage(String.format("loss %.4f", e.get("loss").getAsDouble()));
            } else if (!e.get("type").getAsString().equals("step") || !bar) {
              out.println(describe(line));
              out.flush();
            }
          }
          if (state.terminal() && store.events(id, seen).isEmpty()) {
            return state;
          }
          Thread.sleep(Duration.ofMillis(200));
        }
      } finally {
        if (progress != null) {
          progress.close();
        }
      }
    }

    /** One event as a line of text. */
    static String describe(String line) {
      JsonObject e = JsonParser.parseString(line).getAsJsonObject();
      String time = e.get("time").getAsString();
      String text =
          switch (e.get("type").getAsString()) {
            case "step" ->
                String.format(
                    "step %d/%d  loss %.4f  lr %.2e  %.1f examples/s",
                    e.get("step").getAsInt(),
                    e.get("total_steps").getAsInt(),
                    e.get("loss").getAsDouble(),
                    e.get("learning_rate").getAsDouble(),
                    e.get("examples_per_second").getAsDouble());
            case "eval" ->
                "eval at step "
                    + e.get("step").getAsInt()
                    + ": "
                    + e.get("metrics")
                    + (e.get("best").getAsBoolean() ? " (best)" : "");
            case "checkpoint" -> "checkpoint at step " + e.get("step").getAsInt();
            case "state" ->
                "state: "
                    + e.get("state").getAsString()
                    + (e.has("reason") ? "\n" + e.get("reason").getAsString() : "")
                    + (e.has("model")
                        ? " -> " + e.get("model").getAsString() + " " + e.get("metrics")
                        : "");
            default -> e.has("message") ? e.get("message").getAsString() : line;
          };
      return time + "  " + text;
    }
  }
}
