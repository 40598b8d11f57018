package dev.anvil.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.anvil.rbac.CelReference.Outcome;
import dev.anvil.rbac.RandomConditions.Condition;
import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.schema.DocTags;
import dev.cel.common.CelValidationException;
import dev.cel.runtime.CelRuntime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Anvil decides every random condition as CEL itself does (issue 23).
 *
 * <p>Per case, Anvil's raw outcome, its allow and deny decisions and both compiled filters must
 * agree with CEL's outcome, as {@link ConditionProbe} defines "agree" (an error is an error, an
 * allow in error does not apply, a deny in error does).
 *
 * <p>The reference is {@link CelReference}: dev.cel's own compiler and default runtime, given the
 * same principal and document. Conditions come from {@link RandomConditions}; every one must be
 * accepted by both Anvil and CEL's type checker.
 *
 * <p>{@code -Danvil.cel.diff.cases=N} sets the number of (condition, principal, document) cases
 * (default 5,000, a few seconds); {@code -Danvil.seed=S} replays a run.
 */
@ExtendWith(TestSeed.class)
class CelDifferentialTest {
  private static final long CASES = Long.getLong("anvil.cel.diff.cases", 5_000);
  private static final int CONDITIONS_PER_WORLD = 40;
  private static final int PRINCIPALS = 4;
  private static final int DOCS = 6;
  private static final int MAX_REPORTED = 10;

  @Test
  void anvilDecidesEveryConditionAsCelDoes() {
    Random worlds = TestSeed.random("cel-diff");
    long start = System.nanoTime();
    long cases = 0;
    long conditions = 0;
    long differences = 0;
    Map<Outcome, Long> outcomes = new EnumMap<>(Outcome.class);
    List<String> reports = new ArrayList<>();
    while (cases < CASES) {
      long worldSeed = worlds.nextLong();
      CelWorld w = new CelWorld(worldSeed);
      Random draw = new Random(worldSeed);
      RandomConditions gen = new RandomConditions(w, draw, 4);
      CelReference ref = new CelReference(w.schema());
      List<Principal> principals = new ArrayList<>();
      for (int i = 0; i < PRINCIPALS; i++) {
        principals.add(w.principal());
      }
      List<DocTags> docs = new ArrayList<>();
      for (int i = 0; i < DOCS; i++) {
        docs.add(w.doc());
      }
      for (int c = 0; c < CONDITIONS_PER_WORLD && cases < CASES; c++) {
        Condition cond = gen.condition();
        conditions++;
        String where = "world seed " + worldSeed + ", condition " + c + ": " + cond.anvil();
        PolicySet set = load(w, cond, where);
        CelRuntime.Program program = compile(ref, cond, where);
        for (Principal p : principals) {
          CompiledFilter readFilter = set.compile(p, Action.READ);
          CompiledFilter ingestFilter = set.compile(p, Action.INGEST);
          for (DocTags d : docs) {
            cases++;
            Outcome expected = CelReference.eval(program, ref.activation(p, d));
            outcomes.merge(expected, 1L, Long::sum);
            List<String> wrong =
                ConditionProbe.disagreements(set, p, d, expected, readFilter, ingestFilter);
            if (!wrong.isEmpty()) {
              differences++;
              if (reports.size() < MAX_REPORTED) {
                reports.add(
                    String.format(
                        "%s%n  reference: %s%n  principal: %s%n  doc: %s%n  %s%n  schema:%n%s",
                        where, cond.reference(), p, d, String.join("; ", wrong), w.schemaYaml()));
              }
            }
          }
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "CEL differential: seed %d, %d cases (%d conditions), outcomes %s, %.1f s, %d"
            + " differences%n",
        TestSeed.RUN, cases, conditions, outcomes, seconds, differences);
    assertThat(reports).as("cases where Anvil and CEL differ (first %d)", MAX_REPORTED).isEmpty();
    assertThat(differences).isZero();
    // Guards against a generator that stopped producing one of the outcomes.
    assertThat(outcomes).containsKeys(Outcome.TRUE, Outcome.FALSE, Outcome.ERROR);
  }

  private static PolicySet load(CelWorld w, Condition cond, String where) {
    try {
      return ConditionProbe.load(w.schemaYaml(), cond.anvil());
    } catch (PolicyLoadException e) {
      return fail(
          "Anvil refused a condition of its accepted subset (%s): %s", where, e.getMessage());
    }
  }

  private static CelRuntime.Program compile(CelReference ref, Condition cond, String where) {
    try {
      return ref.compile(cond.reference());
    } catch (CelValidationException e) {
      return fail("CEL refused the reference spelling (%s): %s", where, e.getMessage());
    }
  }
}
