package dev.anvil.cli;

import dev.anvil.context.audit.AuditChain;
import dev.anvil.rbac.input.RbacException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code anvil audit ...}: the audit log. */
@Command(
    name = "audit",
    description = "The audit log.",
    mixinStandardHelpOptions = true,
    subcommands = {AuditCommand.Verify.class})
final class AuditCommand {

  @Command(
      name = "verify",
      description = {
        "Check the audit log's hash chain across its rotated files; report the first record",
        "altered, removed or re-ordered (file:line). With --head SEQ:SHA256 (the latest event of",
        "the audit topic), also records altered or cut off at the end. Exit code 0: intact; 1: not."
      })
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(
        names = "--file",
        paramLabel = "FILE",
        description = "The active audit file (default: <data>/audit.jsonl).")
    Path file;

    @Option(
        names = "--head",
        paramLabel = "SEQ:SHA256",
        description = "A head kept elsewhere that the log must hold.")
    String head;

    @Override
    public Integer call() {
      Path active = file != null ? file : Identities.dataDir().resolve("audit.jsonl");
      if (!Files.exists(active) && AuditChain.files(active).isEmpty()) {
        throw new RbacException("no audit log at " + active);
      }
      PrintWriter out = spec.commandLine().getOut();
      switch (AuditChain.verify(active, kept())) {
        case AuditChain.Intact i -> {
          out.printf(
              "ok: %d records in %d files, head %d:%s%s%n",
              i.records(),
              AuditChain.files(active).size(),
              i.head().seq(),
              i.head().sha256(),
              i.recovered() > 0 ? " (" + i.recovered() + " lines cut short by a crash)" : "");
          return 0;
        }
        case AuditChain.Broken b -> {
          out.println("broken: " + b);
          return Main.FAILED;
        }
      }
    }

    private Optional<AuditChain.Link> kept() {
      if (head == null) {
        return Optional.empty();
      }
      int colon = head.indexOf(':');
      try {
        return Optional.of(
            new AuditChain.Link(
                Long.parseLong(head.substring(0, colon)), head.substring(colon + 1)));
      } catch (RuntimeException e) {
        throw new RbacException("--head " + head + ": expected SEQ:SHA256, e.g. 42:9f86d0...");
      }
    }
  }
}
