package dev.anvil.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.DocTags;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The promise Anvil rests on: for every principal and document, the compiled filter matches the
 * document exactly when {@code decide} permits it. Checked on random schemas, policy sets,
 * principals and documents; a failure prints the seed (jqwik's, and ours inside the message) and
 * the whole case.
 */
class FilterMatchesDecisionPropertyTest {
  private static final int PRINCIPALS = 10;
  private static final int DOCS = 10;
  private static final AtomicLong CASES = new AtomicLong();
  private static final AtomicLong CEL_CASES = new AtomicLong();

  @Property(tries = 600)
  void compiledFilterMatchesExactlyThePermittedDocuments(@ForAll long seed) {
    RandomPolicies gen = new RandomPolicies(seed);
    String schema = gen.schemaYaml();
    String policies = gen.policiesYaml();
    PolicySet set =
        PolicySet.parse(
            new PolicySource("schema.yaml", schema),
            List.of(new PolicySource("policies.yaml", policies)));
    List<DocTags> docs = new ArrayList<>();
    for (int i = 0; i < DOCS; i++) {
      docs.add(set.schema().validate(gen.doc()));
    }
    for (int p = 0; p < PRINCIPALS; p++) {
      Principal principal = gen.principal();
      for (Action action : List.of(Action.READ, Action.INGEST)) {
        CompiledFilter filter = set.compile(principal, action);
        for (DocTags doc : docs) {
          Decision decision = set.decide(principal, action, doc);
          assertThat(filter.filter().matches(doc))
              .as(
                  "seed %d%nschema:%n%s%npolicies:%n%s%nprincipal: %s%naction: %s%ndoc: %s%ndecision:"
                      + " %s%nfilter: %s",
                  seed, schema, policies, principal, action, doc, decision, filter.filter())
              .isEqualTo(decision.permitted());
          CASES.incrementAndGet();
        }
      }
    }
  }

  /**
   * The same promise over conditions drawn from every construct of the CEL subset Anvil accepts
   * ({@link RandomConditions}, the generator of the differential test against CEL): deeper nesting,
   * ternaries, quantifiers over literal and computed lists, integers, text functions, unicode.
   */
  @Property(tries = 200)
  void compiledFilterMatchesExactlyThePermittedDocumentsForAnyAcceptedCondition(@ForAll long seed) {
    CelWorld w = new CelWorld(seed);
    Random r = new Random(seed);
    RandomConditions conditions = new RandomConditions(w, r, 3);
    StringBuilder policies = new StringBuilder();
    for (int i = 0, n = 1 + r.nextInt(5); i < n; i++) {
      List<String> actions =
          switch (r.nextInt(3)) {
            case 0 -> List.of("read");
            case 1 -> List.of("ingest");
            default -> List.of("read", "ingest");
          };
      policies
          .append("- {id: p")
          .append(i)
          .append(", effect: ")
          .append(r.nextInt(3) == 0 ? "deny" : "allow")
          .append(", actions: ")
          .append(actions)
          .append(", when: ")
          .append(CelWorld.yamlString(conditions.condition().anvil()))
          .append("}\n");
    }
    PolicySet set = w.policySet(policies.toString());
    List<DocTags> docs = new ArrayList<>();
    for (int i = 0; i < DOCS; i++) {
      docs.add(w.doc());
    }
    for (int p = 0; p < PRINCIPALS; p++) {
      Principal principal = w.principal();
      for (Action action : List.of(Action.READ, Action.INGEST)) {
        CompiledFilter filter = set.compile(principal, action);
        for (DocTags doc : docs) {
          Decision decision = set.decide(principal, action, doc);
          assertThat(filter.filter().matches(doc))
              .as(
                  "seed %d%nschema:%n%s%npolicies:%n%s%nprincipal: %s%naction: %s%ndoc: %s%ndecision:"
                      + " %s%nfilter: %s",
                  seed, w.schemaYaml(), policies, principal, action, doc, decision, filter.filter())
              .isEqualTo(decision.permitted());
          CEL_CASES.incrementAndGet();
        }
      }
    }
  }

  @AfterContainer
  static void checkedEnoughCases() {
    assertThat(CASES.get())
        .as("(policy set, principal, document) cases checked")
        .isGreaterThanOrEqualTo(100_000);
    assertThat(CEL_CASES.get())
        .as("cases checked over the whole accepted CEL subset")
        .isGreaterThanOrEqualTo(40_000);
    System.out.println(
        "filter-vs-decide property: "
            + CASES.get()
            + " cases, "
            + CEL_CASES.get()
            + " over the whole accepted CEL subset, 0 differences");
  }
}
