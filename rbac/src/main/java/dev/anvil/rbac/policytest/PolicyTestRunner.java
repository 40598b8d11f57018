package dev.anvil.rbac.policytest;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.input.YamlNode;
import dev.anvil.rbac.schema.InvalidTagsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads policy test files and runs them against a policy set.
 *
 * <pre>{@code
 * - name: engineers do not read HR compensation
 *   as: alice                 # a name from principals.yaml, or `principal: {subject: ..., roles: [...]}`
 *   action: read
 *   doc: {classification: confidential, department: [hr], topics: [compensation]}
 *   expect: deny              # permit | deny
 *   by: hr-compensation-only-for-comp-readers   # optional
 * }</pre>
 */
public final class PolicyTestRunner {
  private static final Set<String> FIELDS =
      Set.of("name", "as", "principal", "action", "doc", "expect", "by");

  private PolicyTestRunner() {}

  /** The outcome of one case: passed, or failed with what happened instead. */
  public record Result(PolicyTest test, boolean passed, String message) {}

  /** Parses test files; unknown principals, actions or fields are errors with their location. */
  public static List<PolicyTest> parse(List<PolicySource> files, PrincipalDirectory principals) {
    List<Problem> problems = new ArrayList<>();
    List<PolicyTest> tests = new ArrayList<>();
    for (PolicySource file : files) {
      try {
        for (YamlNode item : YamlNode.parse(file.name(), file.content()).asList()) {
          try {
            tests.add(parseOne(item, principals));
          } catch (PolicyLoadException e) {
            problems.addAll(e.problems());
          }
        }
      } catch (PolicyLoadException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyLoadException(problems);
    }
    return tests;
  }

  private static PolicyTest parseOne(YamlNode item, PrincipalDirectory principals) {
    item.allowOnly(FIELDS);
    String name = item.required("name").asNonBlankString();
    Optional<YamlNode> as = item.get("as");
    Optional<YamlNode> inline = item.get("principal");
    if (as.isPresent() == inline.isPresent()) {
      throw item.error("a test needs exactly one of 'as' (a named principal) or 'principal'");
    }
    Principal principal =
        as.isPresent()
            ? principals
                .find(as.get().asString())
                .orElseThrow(
                    () ->
                        as.get()
                            .error(
                                "unknown principal '"
                                    + as.get().asString()
                                    + "' (principals.yaml defines: "
                                    + principals.names()
                                    + ")"))
            : PrincipalDirectory.parse(null, inline.get());
    YamlNode actionNode = item.required("action");
    Action action =
        Action.fromId(actionNode.asString())
            .orElseThrow(
                () ->
                    actionNode.error(
                        "unknown action '"
                            + actionNode.asString()
                            + "' (expected one of: "
                            + Action.allIds()
                            + ")"));
    // submit and admin are decided on the principal alone: their cases carry no doc.
    Map<String, Object> doc;
    if (action.onTags()) {
      doc = item.required("doc").asRawTags();
    } else if (item.get("doc").isPresent()) {
      throw item.get("doc").get().error(action + " is decided without tags: remove doc");
    } else {
      doc = Map.of();
    }
    YamlNode expect = item.required("expect");
    boolean permit =
        switch (expect.asString()) {
          case "permit" -> true;
          case "deny" -> false;
          default ->
              throw expect.error("expect must be permit or deny, was '" + expect.asString() + "'");
        };
    Optional<String> by = item.get("by").map(YamlNode::asNonBlankString);
    return new PolicyTest(name, item.location(), principal, action, doc, permit, by);
  }

  /** Runs every case; never throws for a failing case. */
  public static List<Result> run(PolicySet policies, List<PolicyTest> tests) {
    return tests.stream().map(t -> runOne(policies, t)).toList();
  }

  private static Result runOne(PolicySet policies, PolicyTest t) {
    Decision d;
    try {
      d =
          t.action().onTags()
              ? policies.decide(t.principal(), t.action(), policies.schema().validate(t.doc()))
              : policies.decide(t.principal(), t.action());
    } catch (InvalidTagsException e) {
      return new Result(t, false, "the test's doc does not fit the schema: " + e.getMessage());
    }
    if (d.permitted() != t.expectPermit()) {
      return new Result(
          t, false, "expected " + (t.expectPermit() ? "permit" : "deny") + ", got " + describe(d));
    }
    if (t.by().isPresent()) {
      boolean byMatches =
          switch (d) {
            case Decision.Permit p -> p.policies().contains(t.by().get());
            case Decision.Deny n -> n.policy().equals(t.by().get());
          };
      if (!byMatches) {
        return new Result(
            t, false, "expected decision by " + t.by().get() + ", got " + describe(d));
      }
    }
    return new Result(t, true, describe(d));
  }

  /** A decision in words: {@code permit by a, b} or {@code deny by x}. */
  public static String describe(Decision d) {
    return switch (d) {
      case Decision.Permit p -> "permit by " + String.join(", ", p.policies());
      case Decision.Deny n -> "deny by " + n.policy();
    };
  }
}
