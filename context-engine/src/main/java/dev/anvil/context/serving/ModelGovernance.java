package dev.anvil.context.serving;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.ModelDeniedException;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.ModelCardException;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.schema.InvalidTagsException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Who may change the model an engine serves: switching to a model, or rolling one back, is a {@code
 * promote} decided by the policies on the model's lineage (the tags of what it was trained on, from
 * its model card); a model without a card needs {@code admin}.
 */
public final class ModelGovernance {
  private final PolicyStore policies;
  private final ServingIndexes indexes;

  public ModelGovernance(PolicyStore policies, ServingIndexes indexes) {
    this.policies = policies;
    this.indexes = indexes;
  }

  /**
   * {@link ServingIndexes#reembed} as {@code principal}, who must be allowed to promote the model.
   *
   * @throws ModelDeniedException naming the deciding policy
   */
  public Reembedding reembed(Principal principal, Path modelDir, double chunksPerSecond) {
    authorize(principal, Optional.of(modelDir), "switch to");
    return indexes.reembed(modelDir, chunksPerSecond);
  }

  /**
   * {@link ServingIndexes#rollback} as {@code principal}, who must be allowed to promote the model
   * taken out of service (whoever may put a model in service may take it out again).
   */
  public String rollback(Principal principal) {
    authorize(principal, indexes.modelDir(), "roll back");
    return indexes.rollback();
  }

  private void authorize(Principal principal, Optional<Path> dir, String what) {
    PolicySet set = policies.current();
    Optional<Map<String, Object>> lineage;
    try {
      lineage = dir.flatMap(ModelCard::read).map(ModelCard::lineage);
    } catch (ModelCardException e) {
      throw new ContextException(e.getMessage(), e);
    }
    Decision d;
    if (lineage.isPresent()) {
      try {
        d = set.decide(principal, Action.PROMOTE, set.schema().validate(lineage.get()));
      } catch (InvalidTagsException e) {
        throw new ModelDeniedException(
            dir.get()
                + ": the lineage in its model card does not fit the schema: "
                + e.getMessage());
      }
    } else {
      d = set.decide(principal, Action.ADMIN);
    }
    if (d instanceof Decision.Deny deny) {
      throw new ModelDeniedException(
          principal.subject()
              + " may not "
              + what
              + " "
              + dir.map(Path::toString).orElse(indexes.serving().embedder().modelId())
              + (lineage.isPresent()
                  ? " (lineage " + lineage.get() + ")"
                  : " (no model card: admin only)")
              + ": denied by "
              + deny.policy());
    }
  }
}
