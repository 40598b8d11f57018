package dev.anvil.rbac.policytest;

import dev.anvil.rbac.Action;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.input.Location;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One policy test case.
 *
 * @param name what the case checks, in words
 * @param location where the case starts in its file
 * @param principal who asks
 * @param action what they ask to do
 * @param doc the document's raw tags (validated against the schema when the test runs)
 * @param expectPermit whether the decision must be a permit
 * @param by the policy that must decide (for a deny: the denying policy or {@code default-deny};
 *     for a permit: one of the allowing policies), if the case names one
 */
public record PolicyTest(
    String name,
    Location location,
    Principal principal,
    Action action,
    Map<String, Object> doc,
    boolean expectPermit,
    Optional<String> by) {
  public PolicyTest {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(principal, "principal");
    Objects.requireNonNull(action, "action");
    doc = Map.copyOf(doc);
    Objects.requireNonNull(by, "by");
  }
}
