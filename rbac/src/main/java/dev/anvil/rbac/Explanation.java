package dev.anvil.rbac;

import java.util.List;

/**
 * Why a decision came out as it did: every policy for the action, whether its condition was true,
 * false or could not be evaluated, and the value of each test inside it.
 *
 * @param decision the decision, identical to {@link PolicySet#decide}'s
 * @param policies one trace per policy that governs the action, in policy-set order
 */
public record Explanation(Decision decision, List<PolicyTrace> policies) {
  public Explanation {
    policies = List.copyOf(policies);
  }

  /** How a condition evaluated. */
  public enum Outcome {
    TRUE,
    FALSE,
    /** The condition could not be evaluated (e.g. it reads a tag the document lacks). */
    ERROR
  }

  /**
   * One policy's evaluation.
   *
   * @param policy the policy
   * @param outcome its condition's value
   * @param applies whether it took part in the decision: an allow applies when true; a deny when
   *     true or in error (deny fails closed)
   * @param error why evaluation failed, or empty
   * @param checks each test in the condition with its value, in evaluation order
   */
  public record PolicyTrace(
      Policy policy, Outcome outcome, boolean applies, String error, List<Check> checks) {
    public PolicyTrace {
      checks = List.copyOf(checks);
    }
  }

  /**
   * A test inside a condition and what it evaluated to.
   *
   * @param expression the test's CEL text
   * @param value {@code true}, {@code false} or {@code error: reason}
   */
  public record Check(String expression, String value) {}
}
