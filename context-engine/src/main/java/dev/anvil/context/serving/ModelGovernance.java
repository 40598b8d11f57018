package dev.anvil.context.serving;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.ModelDeniedException;
import dev.anvil.context.api.ModelNotFoundException;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.embed.Embedder;
import dev.anvil.modelcard.GateVerdict;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.ModelCardException;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.schema.DocTags;
import dev.anvil.rbac.schema.InvalidTagsException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Who may change the model an engine serves, and to what.
 *
 * <p>Switching names a model of the registry by id. The caller needs {@code promote} on its lineage
 * (from its card); a model absent, or one the caller may not promote, is {@link
 * ModelNotFoundException} either way. The model must then hold a passing {@link GateVerdict} for
 * the exact bytes loaded, measured against the exact model in service, so the gate's baseline is
 * what serves whatever a caller told the trainer; {@code override_gate} on the lineage switches
 * without one (the caller's audit record says so). Rolling back needs {@code promote} on the model
 * taken out of service, dropping the rollback {@code promote} on the model kept for it (a model
 * without a card: {@code admin}).
 */
public final class ModelGovernance {
  private final PolicyStore policies;
  private final ServingIndexes indexes;
  private final ModelRegistry registry;

  public ModelGovernance(PolicyStore policies, ServingIndexes indexes, ModelRegistry registry) {
    this.policies = policies;
    this.indexes = indexes;
    this.registry = registry;
  }

  /** A switch under way: its re-embedding, and whether it went past the gate. */
  public record Switch(Reembedding reembedding, boolean gateOverridden) {}

  /**
   * Starts re-embedding with registry model {@code id} as {@code principal}.
   *
   * @param overrideGate switch without a passing gate verdict ({@code override_gate})
   * @throws ModelNotFoundException if there is no such model the principal may promote
   * @throws ModelDeniedException if an override is asked and not allowed
   * @throws ContextException if the model has no passing verdict against the model in service, or
   *     the engine cannot switch to it now
   */
  public Switch switchTo(
      Principal principal,
      String id,
      double chunksPerSecond,
      boolean overrideGate,
      WriteAudit audit) {
    PolicySet set = policies.current();
    Path dir = registry.find(id).orElseThrow(() -> new ModelNotFoundException(id));
    DocTags lineage;
    try {
      lineage = set.schema().validate(ModelCard.read(dir).orElseThrow().lineage());
    } catch (InvalidTagsException | ModelCardException e) {
      throw new ModelNotFoundException(id); // a card the schema refuses is promoted by no one
    }
    if (!set.decide(principal, Action.PROMOTE, lineage).permitted()) {
      throw new ModelNotFoundException(id);
    }
    if (overrideGate
        && set.decide(principal, Action.OVERRIDE_GATE, lineage) instanceof Decision.Deny d) {
      throw new ModelDeniedException(
          principal.subject()
              + " may not override the gate for "
              + id
              + ": denied by "
              + d.policy());
    }
    Reembedding r =
        indexes.reembed(
            dir,
            chunksPerSecond,
            (next, serving) -> {
              if (!overrideGate) {
                requireVerdict(id, dir, next, serving);
              }
              // Recorded before the re-embedding starts: no switch without its audit record.
              audit.record(
                  overrideGate ? "switch_model_override_gate" : "switch_model",
                  List.of(id),
                  set.version(),
                  "OK");
            });
    return new Switch(r, overrideGate);
  }

  private static void requireVerdict(String id, Path dir, Embedder next, Embedder serving) {
    Optional<GateVerdict> verdict =
        next.digest().isPresent() && serving.digest().isPresent()
            ? GateVerdict.find(dir, next.digest().get(), serving.digest().get())
            : Optional.empty();
    if (verdict.isEmpty()) {
      throw new ContextException(
          id
              + " has no passing gate verdict against the model in service ("
              + serving.modelId()
              + "): have the trainer's gate decide (anvil model promote), or switch with"
              + " --override-gate (override_gate)");
    }
  }

  /**
   * {@link ServingIndexes#rollback} as {@code principal}, who must be allowed to promote the model
   * taken out of service (whoever may put a model in service may take it out again).
   *
   * @throws ModelDeniedException naming the deciding policy, not the model's lineage
   */
  public String rollback(Principal principal, WriteAudit audit) {
    // Decide on the model the cluster serves now, not on the one this replica saw last.
    indexes.follow();
    Optional<Path> leaving = indexes.modelDir();
    PolicySet set = requireTakeOut(principal, leaving, "take the model in service out");
    audit.record(
        "rollback_model", leaving.flatMap(registry::idOf).stream().toList(), set.version(), "OK");
    return indexes.rollback();
  }

  /**
   * {@link ServingIndexes#dropRollback} as {@code principal}, who must be allowed to promote the
   * model kept for the rollback (whoever may put it in service may give up the way back to it).
   *
   * @throws ModelDeniedException naming the deciding policy, not the model's lineage
   * @throws ContextException if no previous model is kept
   */
  public String dropRollback(Principal principal, WriteAudit audit) {
    indexes.follow();
    if (indexes.previousModelId().isEmpty()) {
      throw new ContextException("no previous model is kept for a rollback");
    }
    Optional<Path> kept = indexes.previousModelDir();
    PolicySet set = requireTakeOut(principal, kept, "drop the model kept for a rollback");
    audit.record(
        "drop_rollback", kept.flatMap(registry::idOf).stream().toList(), set.version(), "OK");
    return indexes.dropRollback();
  }

  /**
   * Requires {@code promote} on the lineage of the model in {@code modelDir} (a model without a
   * card: {@code admin}); returns the policy set that decided.
   */
  private PolicySet requireTakeOut(Principal principal, Optional<Path> modelDir, String what) {
    PolicySet set = policies.current();
    Optional<ModelCard> card;
    try {
      card = modelDir.flatMap(ModelCard::read);
    } catch (ModelCardException e) {
      throw new ContextException("cannot " + what + ": its model card cannot be read", e);
    }
    Decision d;
    if (card.isPresent()) {
      try {
        d = set.decide(principal, Action.PROMOTE, set.schema().validate(card.get().lineage()));
      } catch (InvalidTagsException e) {
        d = new Decision.Deny(Decision.DEFAULT_DENY, set.version());
      }
    } else {
      d = set.decide(principal, Action.ADMIN);
    }
    if (d instanceof Decision.Deny deny) {
      throw new ModelDeniedException(
          principal.subject()
              + " may not "
              + what
              + (card.isPresent() ? " (promote on its lineage)" : " (no model card: admin only)")
              + ": denied by "
              + deny.policy());
    }
    return set;
  }
}
