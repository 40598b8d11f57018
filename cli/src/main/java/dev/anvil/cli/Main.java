package dev.anvil.cli;

import dev.anvil.rbac.input.RbacException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code anvil} command. */
@Command(
    name = "anvil",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Anvil: policy-governed context and fine-tuning, inside your own infrastructure.",
    subcommands = {
      DemoCommand.class,
      ServeCommand.class,
      McpCommand.class,
      IngestCommand.class,
      SearchCommand.class,
      DeleteCommand.class,
      EvalCommand.class,
      TrainCommand.class,
      ModelCommand.class,
      PolicyCommand.class,
      TokenCommand.class,
      LoginCommand.class,
      KafkaBrokerCommand.class,
      AuditCommand.class,
      JudgeCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {

  /** Exit code for failed checks (invalid policies, failing tests). */
  static final int FAILED = 1;

  /** Exit code for bad usage or input that could not be read. */
  static final int USAGE = 2;

  private static final String NETTY_MACHINE_ID = "io.grpc.netty.shaded.io.netty.machineId";

  public static void main(String[] args) {
    try {
      Logging.configure(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("anvil: " + e.getMessage());
      System.exit(USAGE);
    }
    // Nothing is downloaded at run time: DJL (the tokenizer) must not look for a network.
    System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
    // DJL unpacks its native libraries (libtorch ~430 MB, the tokenizer) on first use: under the
    // data directory, not the home, which a container's read-only root file system cannot write.
    if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
      System.setProperty("DJL_CACHE_DIR", Identities.dataDir().resolve("djl").toString());
    }
    // Netty (inside gRPC) derives its channel ids from a MAC address, and warns on stderr where
    // there is none: a network namespace with only loopback (a container with --network none, an
    // air-gapped test). Any fixed id will do; the ids also hold the pid, a counter and the time.
    if (System.getProperty(NETTY_MACHINE_ID) == null) {
      System.setProperty(NETTY_MACHINE_ID, "02:00:00:00:00:01");
    }
    TelemetrySetup.install(args.length > 0 ? args[0] : "cli");
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line with the given output streams; returns the exit code. */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setDefaultValueProvider(new Configuration(System.getenv()));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof RbacException
              || e instanceof java.io.UncheckedIOException
              || e instanceof dev.anvil.context.api.ContextException
              || e instanceof dev.anvil.trainer.promote.GateRulesException
              || e instanceof dev.anvil.eval.BeirDataException
              || e instanceof dev.anvil.eval.snapshot.SnapshotException
              || e instanceof dev.anvil.modelcard.ModelCardException) {
            commandLine.getErr().println("anvil: " + e.getMessage());
            return USAGE;
          }
          if (e instanceof dev.anvil.trainer.job.JobSpecException s) {
            s.problems().forEach(commandLine.getErr()::println);
            return USAGE;
          }
          if (e instanceof dev.anvil.trainer.service.TrainerException
              || e instanceof dev.anvil.judge.JudgeException
              || e instanceof dev.anvil.store.StoreException
              || e instanceof io.grpc.StatusRuntimeException) {
            // A refusal (by policy, of a bad request) or a server that cannot be reached.
            commandLine.getErr().println("anvil: " + e.getMessage());
            return FAILED;
          }
          throw e;
        });
    try {
      return cli.execute(args);
    } finally {
      LocalJobStores.closeAll();
      out.flush();
      err.flush();
    }
  }

  /** Reports the version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"anvil " + (v == null ? "(development build)" : v)};
    }
  }
}
