package dev.anvil.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.input.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Broken policies are refused as a whole, each problem with its file:line:column. */
class PolicyLoadErrorsTest {
  private static final String SCHEMA =
      """
      tags:
        classification: {type: ordered, values: [public, internal, confidential], required: true}
        department: {type: set, values: [engineering, hr], required: true}
        owner: {type: principal}
      principal_attributes:
        clearance: {}
        projects: {multi_valued: true}
      """;

  private static List<Problem> problems(String policies) {
    try {
      PolicySet.parse(
          new PolicySource("schema.yaml", SCHEMA), List.of(new PolicySource("p.yaml", policies)));
    } catch (PolicyLoadException e) {
      return e.problems();
    }
    throw new AssertionError("policies were accepted:\n" + policies);
  }

  /** One problem, on this line of p.yaml, whose message contains {@code message}. */
  private static void assertSingleProblem(String policies, int line, String message) {
    List<Problem> problems = problems(policies);
    assertThat(problems).hasSize(1);
    assertThat(problems.getFirst().location().line()).isEqualTo(line);
    assertThat(problems.getFirst().message()).contains(message);
  }

  private static void assertSingleProblem(String policies, String location, String message) {
    List<Problem> problems = problems(policies);
    assertThat(problems).hasSize(1);
    assertThat(problems.getFirst().location()).hasToString(location);
    assertThat(problems.getFirst().message()).contains(message);
  }

  @Test
  void yamlSyntaxErrorNamesLineAndColumn() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read
          when: "true"
        """,
        "p.yaml:4:7",
        "invalid YAML");
  }

  @Test
  void celSyntaxErrorPointsIntoTheCondition() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "doc.classification == 'public' &&"
        """,
        "p.yaml:4:43",
        "mismatched input");
  }

  @Test
  void unknownTagIsNamedWithTheTagsTheSchemaDeclares() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "doc.clasification == 'public'"
        """,
        "p.yaml:4:13",
        "undefined field 'clasification' (doc has one field per tag: [classification, department, owner]");
  }

  @Test
  void wrongTypeIsRefusedByTheTypeChecker() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "doc.department == 'hr'"
        """,
        "p.yaml:4:25",
        "no matching overload for '_==_' applied to '(list(string), string)'");
  }

  @Test
  void valueOutsideTheSchemaIsRefusedAtTheLiteral() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: |
            'engineering' in principal.groups
              && doc.classification <= 'secret'
        """,
        "p.yaml:6:32",
        "'secret' is not a value of tag 'classification' (expected one of, lowest first: [public, internal, confidential])");
  }

  @Test
  void setMemberOutsideTheSchemaIsRefused() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "'legal' in doc.department"
        """,
        "p.yaml:4:10",
        "'legal' is not a value of tag 'department'");
  }

  @Test
  void untranslatableConditionsAreRefused() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "doc.owner.startsWith('a')"
        """,
        "p.yaml:4:13",
        "startsWith() on a document tag cannot be compiled into an index filter");
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "size(doc.department) > 1"
        """,
        "p.yaml:4:18",
        "the size of a document tag cannot be compiled");
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "doc.owner == principal.subject || doc.owner == doc.classification"
        """,
        "p.yaml:4:54",
        "comparing two document tags cannot be compiled into an index filter");
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "doc.department.exists(d, d == doc.owner)"
        """,
        "p.yaml:4:37",
        "inside exists()/all() over a document tag, the test may use the element and the principal");
  }

  @Test
  void orderingNeedsAnOrderedTag() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "doc.owner < 'm'"
        """,
        "p.yaml:4:20",
        "ordering comparisons need an ordered tag; 'owner' is principal");
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "principal.attributes.clearance >= 'internal'"
        """,
        "p.yaml:4:41",
        "ordering comparisons (< <= > >=) on text need an ordered tag");
  }

  /** The refusals docs/policies.md lists under "Which CEL Anvil accepts", one example each. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          doc.owner | expected type 'bool' but found 'string' (a condition must be true or false)
          1.5 == 1.5 | unsupported literal (use text, integers or true/false)
          [1, 2] == [1, 2] | lists in policies hold text
          {'a': 'b'} == {'a': 'b'} | map literals are not supported in policies (supported: && || ! ?: ==
          1 + 1 == 2 | function '+' is not supported in policies (supported: && || ! ?: == != < <= > >= in has() exists() all() size() startsWith() endsWith() contains())
          ['a'].map(x, x == 'a') == [] | undeclared reference to 'map' (in container '') (of CEL's macros, policies have has(), exists() and all())
          'A'.lowerAscii() == 'a' | undeclared reference to 'lowerAscii'
          principal.roles[0] == 'x' | indexing is not supported: read an attribute as principal.attributes.clearance and test list members with 'x' in list
          doc == doc | use a tag of the document, e.g. doc.classification
          principal.attributes == principal.attributes | use one attribute, e.g. principal.attributes.clearance
          has(principal.subject) | has() tests a document tag or a principal attribute, e.g. has(doc.classification) or has(principal.attributes.clearance)
          doc.nope == 'a' | undefined field 'nope' (doc has one field per tag:
          'a' < 'b' | ordering comparisons (< <= > >=) on text need an ordered tag on one side, e.g. doc.classification
          true < false | ordering comparisons (< <= > >=) compare integers or an ordered tag, not bool
          1.0 == 1 | found no matching overload for '_==_' applied to '(double, int)'
          doc.owner == | mismatched input '<EOF>' expecting {
          """)
  void refusesCelOutsideTheAcceptedSubsetAsDocumented(String condition, String message) {
    assertThat(message).as("the row's message").hasSizeGreaterThan(10);
    List<Problem> problems =
        problems("- {id: a, effect: allow, actions: [read], when: \"" + condition + "\"}\n");
    assertThat(problems).extracting(Problem::message).anyMatch(m -> m.startsWith(message));
    assertThat(problems).allMatch(p -> p.location().file().equals("p.yaml"));
  }

  @Test
  void structuralMistakesAreNamed() {
    assertSingleProblem(
        """
        - id: a
          efect: allow
          actions: [read]
          when: "true"
        """,
        "p.yaml:2:3",
        "unknown field 'efect'");
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [reed]
          when: "true"
        """,
        "p.yaml:3:13",
        "unknown action 'reed'");
    assertSingleProblem(
        """
        - id: a
          effect: permit
          actions: [read]
          when: "true"
        """,
        "p.yaml:2:11",
        "effect must be allow or deny");
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
        """,
        "p.yaml:1:3",
        "missing required field 'when'");
  }

  @Test
  void duplicateIdsPointToTheFirstDefinition() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "true"
        - id: a
          effect: deny
          actions: [read]
          when: "false"
        """,
        "p.yaml:5:7",
        "duplicate policy id 'a' (first defined at p.yaml:1:3)");
  }

  @Test
  void everyProblemInEveryPolicyIsReportedAtOnce() {
    List<Problem> problems =
        problems(
            """
            - id: a
              effect: allow
              actions: [read]
              when: "doc.nope == 'x'"
            - id: b
              effect: allow
              actions: [read]
              when: "'x' in doc.department"
            - id: c
              effect: allow
              actions: [read]
              when: "true"
            """);
    assertThat(problems).extracting(p -> p.location().line()).containsExactly(4, 8);
  }

  @Test
  void schemaErrorsAreLocatedToo() {
    assertThatThrownBy(
            () ->
                PolicySet.parse(
                    new PolicySource(
                        "schema.yaml",
                        """
                        tags:
                          classification: {type: orderd, values: [a, b]}
                          Department: {type: set, values: [x]}
                          owner: {type: string, values: [x]}
                        """),
                    List.of(new PolicySource("p.yaml", "[]"))))
        .isInstanceOfSatisfying(
            PolicyLoadException.class,
            e ->
                assertThat(e.problems())
                    .extracting(Problem::toString)
                    .containsExactly(
                        "schema.yaml:2:26: unknown tag type 'orderd' (expected one of: ordered, enum, set, string, principal)",
                        "schema.yaml:3:3: tag name 'Department' must be lower-case letters, digits and '_', starting with a letter",
                        "schema.yaml:4:33: tag 'owner' of type string takes no 'values'"));
  }

  @Test
  void principalAttributesAreTheDeclaredOnesWithTheirTypes() {
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "principal.attributes.team == 'x'"
        """,
        "p.yaml:4:30",
        "undefined field 'team'");
    assertThat(
            problems(
                    """
                    - id: a
                      effect: allow
                      actions: [read]
                      when: "principal.attributes.team == 'x'"
                    """)
                .getFirst()
                .message())
        .contains("principal_attributes: [clearance, projects]");
    // A multi-valued attribute is a list: compared as text, it is a type error where it is loaded.
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "doc.classification <= principal.attributes.projects"
        """,
        4,
        "list(string)");
    // ... and a single-valued one is text: no membership test on it.
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "'engineering' in principal.attributes.clearance"
        """,
        4,
        "no matching overload");
    assertSingleProblem(
        """
        - id: a
          effect: allow
          actions: [read]
          when: "size(principal.attributes) > 0"
        """,
        4,
        "use one attribute, e.g. principal.attributes.clearance");
  }

  @Test
  void principalAttributeDeclarationsAreChecked() {
    assertThatThrownBy(
            () ->
                PolicySet.parse(
                    new PolicySource(
                        "schema.yaml",
                        """
                        tags:
                          classification: {type: ordered, values: [a, b]}
                        principal_attributes:
                          clearance: {multi: true}
                          Team: {}
                        """),
                    List.of(new PolicySource("p.yaml", "[]"))))
        .isInstanceOfSatisfying(
            PolicyLoadException.class,
            e ->
                assertThat(e.problems())
                    .extracting(Problem::toString)
                    .containsExactly(
                        "schema.yaml:4:15: unknown field 'multi' (expected one of: [description, multi_valued])",
                        "schema.yaml:5:3: attribute name 'Team' must be lower-case letters, digits and '_', starting with a letter"));
  }
}
