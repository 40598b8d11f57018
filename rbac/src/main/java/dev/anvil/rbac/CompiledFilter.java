package dev.anvil.rbac;

import dev.anvil.rbac.filter.Filter;
import java.util.Objects;

/**
 * The documents one principal may act on, as a filter for the index: a document matches exactly
 * when {@link PolicySet#decide} permits the action on it.
 *
 * @param filter the filter over document tags
 * @param action the action it was compiled for
 * @param policyVersion version of the policy set it was compiled from
 */
public record CompiledFilter(Filter filter, Action action, String policyVersion) {
  public CompiledFilter {
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(policyVersion, "policyVersion");
  }
}
