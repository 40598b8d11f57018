package dev.anvil.rbac;

import java.util.List;
import java.util.Objects;

/**
 * The answer to "may this principal do this action on this document?". Denials are data, not
 * exceptions. Every decision names the policies that made it and the policy set version.
 */
public sealed interface Decision permits Decision.Permit, Decision.Deny {

  /** The id used when no allow policy applied. */
  String DEFAULT_DENY = "default-deny";

  /** Version (content hash) of the policy set that decided. */
  String policyVersion();

  /** Whether the action is permitted. */
  default boolean permitted() {
    return this instanceof Permit;
  }

  /**
   * Permitted: no deny applied and at least one allow did.
   *
   * @param policies ids of every allow policy that applied, in policy-set order (never empty)
   */
  record Permit(List<String> policies, String policyVersion) implements Decision {
    public Permit {
      policies = List.copyOf(policies);
      Objects.requireNonNull(policyVersion, "policyVersion");
      if (policies.isEmpty()) {
        throw new IllegalArgumentException("a permit names at least one policy");
      }
    }
  }

  /**
   * Denied.
   *
   * @param policy id of the first deny policy that applied, or {@link #DEFAULT_DENY}
   */
  record Deny(String policy, String policyVersion) implements Decision {
    public Deny {
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(policyVersion, "policyVersion");
    }
  }
}
