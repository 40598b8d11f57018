package dev.anvil.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.anvil.architecture.fixture.context.ForeignInternalUser;
import dev.anvil.architecture.fixture.rbac.LuceneInPolicy;
import dev.anvil.architecture.fixture.rbac.UpwardArrow;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Anvil's shape, checked on the main classes of every module; and each rule shown to fail on a
 * fixture that breaks it on purpose, so that a rule that can no longer fail would be noticed.
 */
class ArchitectureTest {
  static final String FIXTURES = "dev.anvil.architecture.fixture";

  static JavaClasses anvil;
  static JavaClasses fixtures;

  @BeforeAll
  static void importClasses() {
    anvil =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // Test jars (test helpers shared by modules) are tests too.
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("dev.anvil");
    // Every module's main classes are here (built before this module).
    for (String module : AnvilRules.MODULES.keySet()) {
      assertThat(anvil.containPackage(AnvilRules.ANVIL + "." + module)).as(module).isTrue();
    }
    fixtures = new ClassFileImporter().importPackages(FIXTURES);
  }

  @TestFactory
  List<DynamicTest> everyRuleHoldsForAnvil() {
    return AnvilRules.all(AnvilRules.ANVIL).stream()
        .map(r -> DynamicTest.dynamicTest(r.getDescription(), () -> r.check(anvil)))
        .toList();
  }

  /** The violations a rule reports on the fixtures, one line each. */
  private static List<String> violations(ArchRule rule) {
    return rule.evaluate(fixtures).getFailureReport().getDetails();
  }

  @Test
  void luceneOutsideTheIndexIsCaught() {
    assertThat(violations(AnvilRules.onlyTheIndexImportsLucene(FIXTURES)))
        .anyMatch(v -> v.contains(LuceneInPolicy.class.getName()) && v.contains("lucene"));
    assertThat(violations(AnvilRules.rbacIsPolicyAlone(FIXTURES)))
        .anyMatch(v -> v.contains(LuceneInPolicy.class.getName()));
  }

  @Test
  void anotherModulesInternalPackageIsCaughtAndOnesOwnIsNot() {
    assertThat(violations(AnvilRules.noForeignInternals(FIXTURES)))
        .anyMatch(v -> v.contains(ForeignInternalUser.class.getName()))
        .noneMatch(v -> v.contains("SameModuleUser"));
  }

  @Test
  void anArrowPointingUpIsCaught() {
    assertThat(
            AnvilRules.moduleArrows(FIXTURES).stream()
                .flatMap(r -> violations(r).stream())
                .toList())
        .anyMatch(v -> v.contains(UpwardArrow.class.getName()));
  }

  @Test
  void aPackageCycleIsCaught() {
    assertThat(violations(AnvilRules.contextEnginePackagesAreAcyclic(FIXTURES)))
        .anyMatch(v -> v.contains("Cycle detected"));
  }

  @Test
  void aModuleIsTheSegmentAfterTheRoot() {
    assertThat(AnvilRules.moduleOf(AnvilRules.ANVIL, "dev.anvil.context.index"))
        .isEqualTo("context");
    assertThat(AnvilRules.moduleOf(FIXTURES, FIXTURES + ".rbac.internal")).isEqualTo("rbac");
  }
}
