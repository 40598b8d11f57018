package dev.anvil.rbac;

import dev.anvil.rbac.CelReference.Outcome;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.DocTags;
import java.util.ArrayList;
import java.util.List;

/**
 * One CEL condition loaded as a policy pack loads it ({@link PolicySet#parse}, which {@code anvil
 * policy validate} runs through {@code PolicyPack.load}), and the checks that Anvil's outcome,
 * decisions and filters agree with CEL's outcome.
 *
 * <p>What "equal" means. A condition's raw value is {@code true}, {@code false} or an error;
 * Anvil's (the outcome {@code anvil policy explain} shows) must be CEL's, errors included. A
 * decision then follows the documented rules: an allow applies only when its condition is {@code
 * true}; a deny applies unless its condition is {@code false} (an error fails closed). The
 * condition {@code C} is loaded three times, as {@code allow-read} ({@code allow read when C}),
 * {@code allow-ingest} ({@code allow ingest when true}) and {@code deny-ingest} ({@code deny ingest
 * when C}): {@code read} must be permitted exactly when CEL says {@code true}, and {@code ingest}
 * exactly when CEL says {@code false}, denied by {@code deny-ingest} otherwise. The filter compiled
 * for each action must match the document exactly when that action is permitted.
 */
final class ConditionProbe {
  private ConditionProbe() {}

  /** Loads {@code condition} under a schema (YAML) as the three policies above. */
  static PolicySet load(String schemaYaml, String condition) {
    String when = CelWorld.yamlString(condition);
    String policies =
        "- {id: allow-read, effect: allow, actions: [read], when: "
            + when
            + "}\n- {id: allow-ingest, effect: allow, actions: [ingest], when: 'true'}\n"
            + "- {id: deny-ingest, effect: deny, actions: [ingest], when: "
            + when
            + "}\n";
    return PolicySet.parse(
        new PolicySource("schema.yaml", schemaYaml),
        List.of(new PolicySource("policies.yaml", policies)));
  }

  /** Anvil's raw outcome of the condition. */
  static Outcome outcome(PolicySet set, Principal p, DocTags d) {
    return switch (set.explain(p, Action.READ, d).policies().getFirst().outcome()) {
      case TRUE -> Outcome.TRUE;
      case FALSE -> Outcome.FALSE;
      case ERROR -> Outcome.ERROR;
    };
  }

  /**
   * How Anvil disagrees with {@code expected} on one principal and document; empty when it agrees.
   * The filters are passed in so that a caller checking many documents compiles them once.
   */
  static List<String> disagreements(
      PolicySet set,
      Principal p,
      DocTags d,
      Outcome expected,
      CompiledFilter readFilter,
      CompiledFilter ingestFilter) {
    List<String> wrong = new ArrayList<>();
    Outcome raw = outcome(set, p, d);
    if (raw != expected) {
      wrong.add("raw value: Anvil " + raw + ", CEL " + expected);
    }
    Decision read = set.decide(p, Action.READ, d);
    if (read.permitted() != (expected == Outcome.TRUE)) {
      wrong.add("allow: Anvil " + read + ", CEL " + expected);
    }
    Decision ingest = set.decide(p, Action.INGEST, d);
    boolean denyApplies = expected != Outcome.FALSE;
    if (ingest.permitted() == denyApplies
        || denyApplies && !((Decision.Deny) ingest).policy().equals("deny-ingest")) {
      wrong.add("deny: Anvil " + ingest + ", CEL " + expected);
    }
    if (readFilter.filter().matches(d) != read.permitted()
        || ingestFilter.filter().matches(d) != ingest.permitted()) {
      wrong.add(
          "filter: read "
              + readFilter.filter()
              + ", ingest "
              + ingestFilter.filter()
              + " disagree with the decisions");
    }
    return wrong;
  }
}
