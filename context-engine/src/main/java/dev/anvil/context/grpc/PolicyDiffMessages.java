package dev.anvil.context.grpc;

import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.grpc.v1.DiffBreakdown;
import dev.anvil.context.grpc.v1.DiffBucket;
import dev.anvil.context.grpc.v1.DiffGate;
import dev.anvil.context.grpc.v1.DiffTagCounts;
import dev.anvil.context.grpc.v1.PackProblem;
import dev.anvil.context.grpc.v1.PackRefused;
import dev.anvil.context.grpc.v1.PolicyDiffReport;
import dev.anvil.context.grpc.v1.PolicyDiffRequest;
import dev.anvil.context.grpc.v1.PolicyFile;
import dev.anvil.context.grpc.v1.TagValues;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.diff.Breakdown;
import dev.anvil.rbac.diff.DiffOptions;
import dev.anvil.rbac.diff.DiffReport;
import dev.anvil.rbac.diff.DiffSubject;
import dev.anvil.rbac.diff.DiffSubjects;
import dev.anvil.rbac.diff.Gate;
import dev.anvil.rbac.diff.PolicyDiff;
import dev.anvil.rbac.diff.SubjectDiff;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.input.RbacException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code PolicyDiff} call's messages: a request checked against its limits and loaded into a
 * proposal, and a report (or a refused pack's problems) as the reply. The CLI prints the same reply
 * for {@code anvil policy diff --json}, so machines read one format from both.
 */
public final class PolicyDiffMessages {
  /** Most policy files in a proposed pack. */
  public static final int MAX_POLICY_FILES = 256;

  /** Most characters of one file of a proposed pack. */
  public static final int MAX_FILE_CHARS = 1 << 20;

  /** Most characters of a file name, a tag, an action or a gate. */
  public static final int MAX_NAME_CHARS = 256;

  private PolicyDiffMessages() {}

  /**
   * A proposed pack loaded from a request.
   *
   * @param proposed the proposed policy set
   * @param subjects whom to diff
   * @param options what to compare and how to count
   */
  public record Proposal(PolicySet proposed, List<DiffSubject> subjects, DiffOptions options) {}

  /**
   * Loads a request's proposed pack.
   *
   * @throws InvalidRequestException naming the field that breaks a limit or is not understood
   * @throws PolicyLoadException if the pack does not load: every problem, at file:line:column
   */
  public static Proposal proposal(PolicyDiffRequest r) {
    if (!r.hasSchema() || r.getSchema().getContent().isBlank()) {
      throw new InvalidRequestException("schema", "expected the proposed pack's schema.yaml");
    }
    PolicySource schema = source("schema", r.getSchema(), "schema.yaml");
    if (r.getPoliciesCount() < 1 || r.getPoliciesCount() > MAX_POLICY_FILES) {
      throw new InvalidRequestException(
          "policies",
          "expected 1 to " + MAX_POLICY_FILES + " policy files, was " + r.getPoliciesCount());
    }
    List<PolicySource> policies = new ArrayList<>();
    for (PolicyFile f : r.getPoliciesList()) {
      policies.add(source("policies", f, ""));
    }
    // In name order, as a pack's policies/ are loaded: the version is what the pack will have.
    policies.sort(Comparator.comparing(PolicySource::name));
    if (new HashSet<>(policies.stream().map(PolicySource::name).toList()).size()
        != policies.size()) {
      throw new InvalidRequestException("policies", "expected distinct file names");
    }
    PolicySet proposed = PolicySet.parse(schema, policies);
    PrincipalDirectory people = principals("principals", r.hasPrincipals(), r.getPrincipals());
    PrincipalDirectory inForce =
        principals("in_force_principals", r.hasInForcePrincipals(), r.getInForcePrincipals());
    for (var dir :
        List.of(Map.entry("principals", people), Map.entry("in_force_principals", inForce))) {
      List<String> bad = dir.getValue().check(proposed.schema());
      if (!bad.isEmpty()) {
        throw new InvalidRequestException(dir.getKey(), String.join("; ", bad));
      }
    }
    DiffOptions options = options(r);
    // Options that the proposed schema does not fit are the request's fault: say which field.
    try {
      PolicyDiff.tagsToCount(proposed.schema(), options.byTags());
    } catch (RbacException e) {
      throw new InvalidRequestException("by_tags", e.getMessage());
    }
    try {
      options.gate().ifPresent(g -> Gate.parse(proposed.schema(), g));
    } catch (RbacException e) {
      throw new InvalidRequestException("gate", e.getMessage());
    }
    return new Proposal(proposed, DiffSubjects.of(people, inForce), options);
  }

  private static PolicySource source(String field, PolicyFile f, String defaultName) {
    String name = f.getName().isBlank() ? defaultName : f.getName();
    if (name.isBlank() || name.length() > MAX_NAME_CHARS) {
      throw new InvalidRequestException(
          field, "expected a file name of 1 to " + MAX_NAME_CHARS + " characters");
    }
    if (f.getContent().length() > MAX_FILE_CHARS) {
      throw new InvalidRequestException(
          field,
          name
              + ": expected at most "
              + MAX_FILE_CHARS
              + " characters, was "
              + f.getContent().length());
    }
    return new PolicySource(name, f.getContent());
  }

  private static PrincipalDirectory principals(String field, boolean present, PolicyFile f) {
    return present && !f.getContent().isBlank()
        ? PrincipalDirectory.parse(source(field, f, "principals.yaml"))
        : PrincipalDirectory.empty();
  }

  private static DiffOptions options(PolicyDiffRequest r) {
    List<Action> actions = new ArrayList<>();
    for (String id : r.getActionsList()) {
      Action a =
          Action.fromId(id)
              .filter(Action::onTags)
              .orElseThrow(
                  () ->
                      new InvalidRequestException(
                          "actions",
                          "expected actions decided on documents ("
                              + Action.allIds()
                              + " but submit and admin), was '"
                              + abbreviate(id)
                              + "'"));
      actions.add(a);
    }
    for (String tag : r.getByTagsList()) {
      if (tag.isBlank() || tag.length() > MAX_NAME_CHARS) {
        throw new InvalidRequestException("by_tags", "expected tag names");
      }
    }
    if (r.getGate().length() > MAX_NAME_CHARS) {
      throw new InvalidRequestException("gate", "expected LEVEL or TAG=LEVEL");
    }
    try {
      return new DiffOptions(
          actions.isEmpty() ? List.of(Action.READ) : actions,
          r.getByTagsList(),
          r.hasSamples() ? r.getSamples() : DiffOptions.defaults().samples(),
          r.getGate().isBlank() ? Optional.empty() : Optional.of(r.getGate()));
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException(
          r.getByTagsCount() > DiffOptions.MAX_TAGS ? "by_tags" : "samples", e.getMessage());
    }
  }

  /**
   * A request proposing the pack in {@code proposed}, its files named by their paths in the pack
   * ({@code schema.yaml}, {@code policies/00-baseline.yaml}, ...); add options to the builder.
   *
   * @param inForcePrincipals the principals.yaml of the pack in force, if it is to be diffed too
   * @throws java.io.UncheckedIOException if a file cannot be read
   */
  public static PolicyDiffRequest.Builder request(
      dev.anvil.rbac.PolicyPack proposed, Optional<java.nio.file.Path> inForcePrincipals) {
    PolicyDiffRequest.Builder b =
        PolicyDiffRequest.newBuilder().setSchema(file(proposed.dir(), proposed.schemaFile()));
    proposed.policyFiles().forEach(f -> b.addPolicies(file(proposed.dir(), f)));
    if (java.nio.file.Files.isRegularFile(proposed.principalsFile())) {
      b.setPrincipals(file(proposed.dir(), proposed.principalsFile()));
    }
    inForcePrincipals.ifPresent(f -> b.setInForcePrincipals(file(f, f)));
    return b;
  }

  private static PolicyFile file(java.nio.file.Path dir, java.nio.file.Path f) {
    PolicySource src = PolicySource.read(f);
    // Named by the path in the pack (or, alone, by the file's name), as problems will locate it.
    String name = dir.equals(f) ? f.getFileName().toString() : dir.relativize(f).toString();
    return PolicyFile.newBuilder().setName(name).setContent(src.content()).build();
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 63) + "…";
  }

  /** A report as the reply carries it. */
  public static PolicyDiffReport report(DiffReport report) {
    PolicyDiffReport.Builder b =
        PolicyDiffReport.newBuilder()
            .setInForceVersion(report.inForceVersion())
            .setProposedVersion(report.proposedVersion())
            .addAllActions(report.actions().stream().map(Action::id).toList())
            .addAllByTags(report.byTags())
            .setSamples(report.samples())
            .setGateTripped(report.gateTripped());
    report
        .gate()
        .ifPresent(
            g ->
                b.setGate(
                    DiffGate.newBuilder()
                        .setTag(g.tag())
                        .setLevel(g.level())
                        .addAllLevels(g.levels())));
    for (SubjectDiff s : report.subjects()) {
      DiffSubject who = s.subject();
      dev.anvil.context.grpc.v1.SubjectDiff.Builder e =
          dev.anvil.context.grpc.v1.SubjectDiff.newBuilder()
              .setName(who.name())
              .setKind(who.kind().name().toLowerCase(Locale.ROOT))
              .addAllPrincipals(who.principals())
              .addAllRoles(who.principal().roles())
              .addAllGroups(who.principal().groups())
              .setAction(s.action().id())
              .setExposed(breakdown(s.exposed()))
              .setHidden(breakdown(s.hidden()))
              .setExposedAtGate(report.gate().map(g -> g.count(s.exposed())).orElse(0L));
      who.principal()
          .attributes()
          .forEach((k, v) -> e.putAttributes(k, TagValues.newBuilder().addAllValues(v).build()));
      b.addSubjects(e);
    }
    return b.build();
  }

  private static DiffBreakdown breakdown(Breakdown b) {
    DiffBreakdown.Builder out =
        DiffBreakdown.newBuilder().setDocuments(b.documents()).addAllSamples(b.samples());
    for (Breakdown.TagCounts t : b.byTag()) {
      DiffTagCounts.Builder tc = DiffTagCounts.newBuilder().setTag(t.tag());
      for (Breakdown.Bucket x : t.buckets()) {
        tc.addBuckets(
            DiffBucket.newBuilder()
                .setValue(x.value())
                .setDocuments(x.documents())
                .addAllSamples(x.samples()));
      }
      out.addByTag(tc);
    }
    return out.build();
  }

  /** A refused pack's problems as the reply carries them. */
  public static PackRefused refused(PolicyLoadException e) {
    PackRefused.Builder b = PackRefused.newBuilder();
    e.problems()
        .forEach(
            p ->
                b.addProblems(
                    PackProblem.newBuilder()
                        .setFile(p.location().file())
                        .setLine(p.location().line())
                        .setColumn(p.location().column())
                        .setMessage(p.message())));
    return b.build();
  }
}
