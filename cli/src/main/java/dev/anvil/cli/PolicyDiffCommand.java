package dev.anvil.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.grpc.PolicyDiffMessages;
import dev.anvil.context.grpc.v1.PolicyDiffResponse;
import dev.anvil.context.index.ChunkIndex;
import dev.anvil.context.serving.ServingIndexes;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.diff.DiffOptions;
import dev.anvil.rbac.diff.DiffReport;
import dev.anvil.rbac.diff.DiffSubjects;
import dev.anvil.rbac.diff.PolicyDiff;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.input.RbacException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code anvil policy diff OLD_PACK NEW_PACK --index DIR}: what replacing the pack in force by a
 * proposed one would newly expose or hide, per principal and role/group combination, counted in the
 * index before anything is pushed: the embedded index, or with {@code --backend elasticsearch
 * --es-url ...} the engine's index in a cluster, counted there. Exit codes let CI gate policy
 * changes.
 */
@Command(
    name = "diff",
    description = {
      "What a proposed pack would newly expose or hide, for each principal of principals.yaml and"
          + " each role/group combination among them, counted in an index (by classification and"
          + " department by default), with sample document ids.",
      "",
      "Exit codes: 0 nothing newly exposed at the gate's level; 3 the change newly exposes"
          + " documents at or above it (by default the top level of the schema's ordered tag:"
          + " restricted); 4 a pack was refused (its problems at file:line:col); 2 bad usage or an"
          + " index that cannot be read."
    },
    mixinStandardHelpOptions = true)
final class PolicyDiffCommand implements Callable<Integer> {
  /** Exit code when the change newly exposes documents at or above the gate's level. */
  static final int EXPOSES = 3;

  /** Exit code when a pack does not load. */
  static final int REFUSED = 4;

  @Parameters(index = "0", paramLabel = "OLD_PACK", description = "The pack in force.")
  Path oldPack;

  @Parameters(index = "1", paramLabel = "NEW_PACK", description = "The proposed pack.")
  Path newPack;

  @Option(
      names = "--index",
      paramLabel = "DIR",
      description =
          "The engine's index directory, as anvil serve takes it (default: <data dir>/index). Read"
              + " from its last commit, without a lock: a running engine may hold it. With"
              + " --backend elasticsearch it holds only which index serves (after a model switch);"
              + " the chunks are read from the cluster as its last refresh shows them.")
  Path index;

  @Mixin BackendOptions backend;

  @Option(
      names = "--action",
      paramLabel = "ACTION",
      description = "An action to compare, decided on documents (repeatable; default: read).")
  List<String> actions = new ArrayList<>();

  @Option(
      names = "--by",
      paramLabel = "TAG",
      description =
          "A tag to count by: ordered, enum or set (repeatable; default: the schema's required"
              + " ones).")
  List<String> by = new ArrayList<>();

  @Option(
      names = "--samples",
      defaultValue = "3",
      paramLabel = "N",
      description = "Document ids shown per bucket, 0 to 100 (default: ${DEFAULT-VALUE}).")
  int samples;

  @Option(
      names = "--fail-at",
      paramLabel = "LEVEL",
      description =
          "Exit 3 when the change newly exposes documents at or above LEVEL (or TAG=LEVEL) of the"
              + " schema's first ordered tag (default: its top level).")
  String failAt;

  @Option(names = "--json", description = "Print the PolicyDiff reply as JSON, for machines.")
  boolean json;

  @Option(names = "--all", description = "Also list the subjects the change does not touch.")
  boolean all;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws InvalidProtocolBufferException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PolicyPack inForce = new PolicyPack(oldPack);
    PolicyPack proposed = new PolicyPack(newPack);
    Loaded before = load(inForce, "the pack in force", err, null);
    if (before == null) {
      return REFUSED;
    }
    Loaded after = load(proposed, "the proposed pack", err, json ? out : null);
    if (after == null) {
      return REFUSED;
    }
    DiffOptions options = options();
    Path root = index != null ? index : Identities.dataDir().resolve("index");
    ChunkIndex.SnapshotFunction<DiffReport> diff =
        s ->
            PolicyDiff.compute(
                before.set(),
                after.set(),
                DiffSubjects.of(after.principals(), before.principals()),
                options,
                s.diffIndex());
    // The index the engine over --index serves from: its directory, or in a cluster the index the
    // serving alias names (replicas share it, and any of them may have switched).
    IndexBackend index = backend.backend();
    String dir = ServingIndexes.servingDir(root, index);
    String where = index.describe(root, dir);
    DiffReport report = index.readExisting(root, dir, diff);
    if (json) {
      print(out, PolicyDiffResponse.newBuilder().setReport(PolicyDiffMessages.report(report)));
    } else {
      new DiffTable(out, all).print(report, oldPack, newPack, where);
    }
    return report.gateTripped() ? EXPOSES : 0;
  }

  /** A pack's policy set and principals. */
  private record Loaded(PolicySet set, PrincipalDirectory principals) {}

  /**
   * Loads a pack and its principals, or prints why it is refused (and, given {@code json}, the
   * refusal as the PolicyDiff reply) and returns null.
   */
  private static Loaded load(PolicyPack pack, String what, PrintWriter err, PrintWriter json)
      throws InvalidProtocolBufferException {
    try {
      PolicySet set = pack.load();
      PrincipalDirectory people = PrincipalDirectory.load(pack.principalsFile());
      // As policy test refuses them: a principal no token could carry is no subject to diff.
      List<String> bad = people.check(set.schema());
      if (!bad.isEmpty()) {
        bad.forEach(m -> err.println(pack.principalsFile() + ": " + m));
        err.printf("refused: %s (%s): %d principal problems%n", what, pack.dir(), bad.size());
        return null;
      }
      return new Loaded(set, people);
    } catch (PolicyLoadException e) {
      for (Problem p : e.problems()) {
        err.println(p);
      }
      err.printf(
          "refused: %s (%s): %d problem%s%n",
          what, pack.dir(), e.problems().size(), e.problems().size() == 1 ? "" : "s");
      if (json != null) {
        print(json, PolicyDiffResponse.newBuilder().setRefused(PolicyDiffMessages.refused(e)));
      }
      return null;
    }
  }

  private DiffOptions options() {
    List<Action> parsed = new ArrayList<>();
    for (String a : actions) {
      parsed.add(PolicyCommand.parseAction(a));
    }
    try {
      return new DiffOptions(
          parsed.isEmpty() ? List.of(Action.READ) : parsed,
          by,
          samples,
          Optional.ofNullable(failAt));
    } catch (IllegalArgumentException e) {
      throw new RbacException(e.getMessage());
    }
  }

  private static void print(PrintWriter out, MessageOrBuilder message)
      throws InvalidProtocolBufferException {
    out.println(
        JsonFormat.printer()
            .preservingProtoFieldNames()
            .alwaysPrintFieldsWithNoPresence()
            .sortingMapKeys()
            .print(message));
  }
}
