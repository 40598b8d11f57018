package dev.anvil.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.CelReference.Outcome;
import dev.anvil.rbac.TextProto.Message;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.schema.DocTags;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * CEL's own conformance tests (cel-spec's tests/simple/testdata, vendored under {@code
 * src/test/resources/cel-spec/} with their licence and source commit) run through Anvil: each
 * test's expression is loaded as a policy condition the way {@code anvil policy validate} loads one
 * ({@link ConditionProbe#load}). Either Anvil refuses it there, with a clear located message, or
 * Anvil's outcome, decisions and filters must be exactly what the test expects (a boolean or an
 * error; {@link ConditionProbe} says what agreeing means). There is no third way: an accepted test
 * with any other result, or a crash anywhere, fails.
 *
 * <p>The tests' own variables ({@code type_env}, {@code bindings}) and containers do not exist in
 * policies (only {@code doc} and {@code principal} do), so a test that reads them is refused as an
 * undeclared reference, which is the point: it is outside what Anvil accepts.
 */
class CelSpecConformanceTest {
  static final List<String> FILES =
      List.of(
          "basic",
          "comparisons",
          "conversions",
          "fields",
          "integer_math",
          "lists",
          "logic",
          "macros",
          "macros2",
          "parse",
          "plumbing",
          "string",
          "string_ext");

  /** The schema the expressions are loaded under (they name no tag). */
  private static final String SCHEMA = "tags:\n  level: {type: ordered, values: [low, high]}\n";

  /** What CEL's checker or Anvil's translator says, never a Java exception or CEL's raw dump. */
  private static final Pattern UNCLEAR =
      Pattern.compile("Exception|dev\\.cel|java\\.|<input>|^ERROR|\\n|^\\s*$");

  private record Counts(int equal, int refused, int different) {}

  @Test
  void everyCaseIsEvaluatedAsCelSpecifiesOrRefusedAtValidation() throws IOException {
    Map<String, Counts> perFile = new TreeMap<>();
    Map<String, Integer> reasons = new TreeMap<>();
    Map<String, String> examples = new TreeMap<>();
    List<String> differences = new ArrayList<>();
    List<String> unclear = new ArrayList<>();
    for (String file : FILES) {
      int equal = 0;
      int refused = 0;
      int different = 0;
      for (Message section : read(file).messages("section")) {
        for (Message test : section.messages("test")) {
          String name =
              file + "/" + section.text("name").orElse("") + "/" + test.text("name").orElse("");
          String expr = test.text("expr").orElseThrow();
          PolicySet set;
          try {
            set = ConditionProbe.load(SCHEMA, expr);
          } catch (PolicyLoadException e) {
            refused++;
            for (Problem p : e.problems()) {
              reasons.merge(reason(p.message()), 1, Integer::sum);
              examples.putIfAbsent(reason(p.message()), expr + "  ->  " + p);
              if (!p.location().file().equals("policies.yaml")
                  || UNCLEAR.matcher(p.message()).find()) {
                unclear.add(name + ": " + p);
              }
            }
            continue;
          }
          Expected expected = expected(test);
          List<String> wrong = new ArrayList<>();
          if (expected.outcome() == null) {
            wrong.add("accepted, but CEL's result is " + expected.description());
          } else {
            Principal p = Principal.of("conformance");
            DocTags d = DocTags.none();
            wrong.addAll(
                ConditionProbe.disagreements(
                    set,
                    p,
                    d,
                    expected.outcome(),
                    set.compile(p, Action.READ),
                    set.compile(p, Action.INGEST)));
          }
          if (wrong.isEmpty()) {
            equal++;
          } else {
            different++;
            differences.add(name + ": " + expr + "\n  " + String.join("; ", wrong));
          }
        }
      }
      perFile.put(file, new Counts(equal, refused, different));
    }
    int equal = perFile.values().stream().mapToInt(Counts::equal).sum();
    int refused = perFile.values().stream().mapToInt(Counts::refused).sum();
    System.out.printf(
        "cel-spec conformance: %d accepted and equal, %d refused at validation, %d accepted but"
            + " different%n  per file: %s%n  refusal reasons (per policy; each case loads two):%n",
        equal, refused, differences.size(), perFile);
    reasons.forEach(
        (r, n) -> System.out.printf("    %5d  %s%n           e.g. %s%n", n, r, examples.get(r)));
    assertThat(differences).as("cases Anvil accepts but evaluates otherwise than CEL").isEmpty();
    assertThat(unclear).as("refusals without a clear located message").isEmpty();
    // Guards against a reader that silently stopped finding tests or an Anvil that refuses all.
    assertThat(equal).isGreaterThan(50);
    assertThat(refused).isGreaterThan(500);
  }

  /** The expected outcome; null where CEL's result is neither a boolean nor an error. */
  private record Expected(Outcome outcome, String description) {}

  private static Expected expected(Message test) {
    if (test.has("eval_error") || test.has("any_eval_errors")) {
      return new Expected(Outcome.ERROR, "an error");
    }
    Message value =
        test.message("value")
            .or(() -> test.message("typed_result").flatMap(t -> t.message("result")))
            .orElse(null);
    if (value == null) {
      return test.has("unknown") || test.has("any_unknowns") || test.has("check_only")
          ? new Expected(null, "not a value (unknown, or check only)")
          : new Expected(Outcome.TRUE, "true (unspecified)");
    }
    return value
        .text("bool_value")
        .map(b -> new Expected(Boolean.parseBoolean(b) ? Outcome.TRUE : Outcome.FALSE, b))
        .orElseGet(() -> new Expected(null, value.fields().toString()));
  }

  /** A refusal message with its particulars (quoted names, types) left out, for counting. */
  private static String reason(String message) {
    return message
        .replaceAll("'[^']*'", "'…'")
        .replaceAll("\\([^()]*\\)", "(…)")
        .replaceAll("\\s+", " ")
        .strip();
  }

  private static Message read(String file) throws IOException {
    try (InputStream in =
        CelSpecConformanceTest.class.getResourceAsStream("/cel-spec/" + file + ".textproto")) {
      return TextProto.parse(
          new String(Objects.requireNonNull(in, file).readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
