package dev.anvil.rbac.policytest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.input.PolicySource;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExamplePackTest {

  @Test
  void everyExamplePolicyTestPasses() {
    PolicyPack pack = TestPacks.example();
    PolicySet set = pack.load();
    List<PolicyTest> tests =
        PolicyTestRunner.parse(
            pack.testFiles().stream().map(PolicySource::read).toList(),
            PrincipalDirectory.load(pack.principalsFile()));
    assertThat(tests).hasSizeGreaterThan(20);
    List<PolicyTestRunner.Result> failed =
        PolicyTestRunner.run(set, tests).stream().filter(r -> !r.passed()).toList();
    assertThat(failed).as("failing example policy tests").isEmpty();
  }
}
