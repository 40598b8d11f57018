package dev.anvil.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules that guard Anvil's shape. Each is an ArchUnit rule over compiled classes, so a rule
 * also sees fully qualified names and reflection-free uses that an import check would miss.
 */
final class AnvilRules {
  private AnvilRules() {}

  /** Each module's package root, and the modules it may use (arrows only downward). */
  static final Map<String, Set<String>> MODULES = new LinkedHashMap<>();

  static {
    MODULES.put("rbac", Set.of());
    MODULES.put("events", Set.of());
    MODULES.put("modelcard", Set.of());
    MODULES.put("eval", Set.of());
    MODULES.put("identity", Set.of("rbac"));
    MODULES.put("devkafka", Set.of());
    MODULES.put("store", Set.of());
    // Judgments export their final labels as snapshots in eval's format, which the trainer reads.
    MODULES.put("judge", Set.of("rbac", "store", "events", "eval"));
    MODULES.put("rpc", Set.of("rbac", "identity"));
    MODULES.put(
        "context", Set.of("rbac", "identity", "rpc", "events", "modelcard", "store", "judge"));
    // The trainer keeps its jobs and its model registry's index in the one store.
    MODULES.put(
        "trainer", Set.of("rbac", "identity", "rpc", "events", "modelcard", "eval", "store"));
    // The admin console reads the engine in process (policies, index, audit, judgments) and model
    // cards; the trainer's jobs reach it through its own JobSource SPI, which the CLI implements.
    MODULES.put(
        "console",
        Set.of("rbac", "identity", "rpc", "events", "modelcard", "store", "judge", "context"));
    MODULES.put(
        "cli",
        Set.of(
            "rbac",
            "identity",
            "rpc",
            "events",
            "modelcard",
            "eval",
            "devkafka",
            "store",
            "judge",
            "context",
            "console",
            "trainer"));
    // The load test starts a TLS listener and clients: whole-system benchmarks use rpc too. The
    // fine-tuning benchmarks read the model card they produce (its held-out and test numbers). The
    // expert loop's simulated experts judge through judge's Judging, on Anvil's store.
    MODULES.put(
        "bench",
        Set.of(
            "rbac",
            "identity",
            "rpc",
            "events",
            "modelcard",
            "eval",
            "devkafka",
            "store",
            "judge",
            "context",
            "trainer"));
  }

  /** Anvil's packages. Fixtures that break rules on purpose live under another root. */
  static final String ANVIL = "dev.anvil";

  /** Every module uses only the modules below it. */
  static List<ArchRule> moduleArrows(String root) {
    List<ArchRule> rules = new ArrayList<>();
    MODULES.forEach(
        (module, allowed) -> {
          String[] forbidden =
              MODULES.keySet().stream()
                  .filter(m -> !m.equals(module) && !allowed.contains(m))
                  .map(m -> root + "." + m + "..")
                  .toArray(String[]::new);
          rules.add(
              noClasses()
                  .that()
                  .resideInAPackage(root + "." + module + "..")
                  .should()
                  .dependOnClassesThat()
                  .resideInAnyPackage(forbidden)
                  .because(module + " may use only " + (allowed.isEmpty() ? "no module" : allowed))
                  .allowEmptyShould(true));
        });
    return rules;
  }

  /** rbac is policy alone: no index, transport, model, broker, or network client. */
  static ArchRule rbacIsPolicyAlone(String root) {
    return noClasses()
        .that()
        .resideInAPackage(root + ".rbac..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.apache.lucene..",
            "io.grpc..",
            "ai.djl..",
            "org.apache.kafka..",
            "com.nimbusds..",
            "java.net.http..")
        .because(
            "rbac decides and compiles policies; identity, transports and backends are above it");
  }

  /**
   * Only the context engine's index package speaks Lucene (the benchmarks' raw-Lucene baseline
   * aside: it is the yardstick).
   */
  static ArchRule onlyTheIndexImportsLucene(String root) {
    return noClasses()
        .that()
        .resideInAPackage(root + "..")
        .and()
        .resideOutsideOfPackages(root + ".context.index..", root + ".bench..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.apache.lucene..")
        .because("the index package is the one place that knows Lucene");
  }

  /** A module's {@code internal} packages are its own. */
  static ArchRule noForeignInternals(String root) {
    return noClasses()
        .that()
        .resideInAPackage(root + "..")
        .should(useAnotherModulesInternals(root))
        .because("internal packages are not API: only their own module may use them");
  }

  private static ArchCondition<JavaClass> useAnotherModulesInternals(String root) {
    return new ArchCondition<>("use another module's internal package") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        for (Dependency d : c.getDirectDependenciesFromSelf()) {
          String target = d.getTargetClass().getPackageName();
          if (target.startsWith(root + ".")
              && (target.contains(".internal.") || target.endsWith(".internal"))
              && !moduleOf(root, target).equals(moduleOf(root, c.getPackageName()))) {
            events.add(SimpleConditionEvent.satisfied(d, d.getDescription()));
          }
        }
      }
    };
  }

  /**
   * Under root {@code dev.anvil.}, {@code dev.anvil.context.index} is in module {@code context}.
   */
  static String moduleOf(String root, String pkg) {
    String rest = pkg.startsWith(root + ".") ? pkg.substring(root.length() + 1) : pkg;
    int dot = rest.indexOf('.');
    return dot < 0 ? rest : rest.substring(0, dot);
  }

  /** The context engine's packages (its facade aside, which uses them all) form no cycle. */
  static ArchRule contextEnginePackagesAreAcyclic(String root) {
    return SlicesRuleDefinition.slices()
        .matching(root + ".context.(*)..")
        .should()
        .beFreeOfCycles();
  }

  /**
   * rbac's API packages form no cycle: the root, filter, schema, input and policytest (its {@code
   * internal} packages implement the root's API and are left out).
   */
  static ArchRule rbacPackagesAreAcyclic(String root) {
    return SlicesRuleDefinition.slices()
        .assignedFrom(
            new SliceAssignment() {
              @Override
              public SliceIdentifier getIdentifierOf(JavaClass c) {
                String p = c.getPackageName();
                if (!p.startsWith(root + ".rbac") || p.contains(".internal")) {
                  return SliceIdentifier.ignore();
                }
                return SliceIdentifier.of(p);
              }

              @Override
              public String getDescription() {
                return "rbac's packages, internal ones aside";
              }
            })
        .should()
        .beFreeOfCycles();
  }

  /** Every rule over the packages under {@code root}. */
  static List<ArchRule> all(String root) {
    List<ArchRule> rules = new ArrayList<>(moduleArrows(root));
    rules.add(rbacIsPolicyAlone(root));
    rules.add(onlyTheIndexImportsLucene(root));
    rules.add(noForeignInternals(root));
    rules.add(contextEnginePackagesAreAcyclic(root));
    rules.add(rbacPackagesAreAcyclic(root));
    return rules;
  }
}
