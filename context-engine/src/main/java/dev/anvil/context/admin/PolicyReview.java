package dev.anvil.context.admin;

import dev.anvil.context.api.AdminDeniedException;
import dev.anvil.context.api.Cancellation;
import dev.anvil.context.index.ChunkIndex;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.diff.DiffOptions;
import dev.anvil.rbac.diff.DiffReport;
import dev.anvil.rbac.diff.DiffSubject;
import dev.anvil.rbac.diff.PolicyDiff;
import java.util.List;
import java.util.function.Supplier;

/**
 * Diffs proposed policy sets against the one in force, over the index the engine serves from, for
 * callers the set in force permits {@code admin}. Thread-safe.
 */
public final class PolicyReview {
  private final PolicyStore policies;
  private final Supplier<ChunkIndex> index;

  /**
   * @param policies the policies in force (who may review, and what a proposal is compared to)
   * @param index the index searches use now, asked once per diff
   */
  public PolicyReview(PolicyStore policies, Supplier<ChunkIndex> index) {
    this.policies = policies;
    this.index = index;
  }

  /**
   * Starts a review as {@code caller}, before anything of the proposal is read.
   *
   * @throws AdminDeniedException if the set in force does not permit {@code caller} {@code admin}:
   *     decided by the set in force, never by a proposed one, which could grant itself anything
   */
  public Session open(Principal caller) {
    PolicySet inForce = policies.current(); // one version for the check and the whole diff
    if (inForce.decide(caller, Action.ADMIN) instanceof Decision.Deny d) {
      throw new AdminDeniedException(
          caller.subject() + " may not review policy changes (admin): denied by " + d.policy());
    }
    return new Session(inForce);
  }

  /** A review by a caller found to be an admin, against the set in force when it was opened. */
  public final class Session {
    private final PolicySet inForce;

    private Session(PolicySet inForce) {
      this.inForce = inForce;
    }

    /** The version of the set in force that the proposal is compared to. */
    public String inForceVersion() {
      return inForce.version();
    }

    /**
     * What replacing the set in force by {@code proposed} would do to each of {@code subjects}.
     *
     * @throws dev.anvil.rbac.input.RbacException if an option does not fit the proposed schema
     * @throws dev.anvil.context.api.SearchCancelledException once {@code cancellation} fires
     */
    public DiffReport diff(
        PolicySet proposed,
        List<DiffSubject> subjects,
        DiffOptions options,
        Cancellation cancellation) {
      return index
          .get()
          .withSnapshot(
              cancellation,
              s -> PolicyDiff.compute(inForce, proposed, subjects, options, s.diffIndex()));
    }
  }
}
