package dev.anvil.trainer.service;

import dev.anvil.eval.BeirDataset;
import dev.anvil.trainer.promote.PromotionGate;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The promotion gate an admin configured for a trainer: the rules file (read at each decision, so
 * an edit takes effect at the next one) and the two fixed sets, each of a split the gate may decide
 * on (never test).
 *
 * @throws dev.anvil.trainer.promote.GateRulesException if a set is of the test split: a trainer is
 *     refused at its start rather than at its first promotion
 */
public record GateSetup(Path rules, BeirDataset evaluation, BeirDataset regression) {
  public GateSetup {
    Objects.requireNonNull(rules, "rules");
    PromotionGate.requireNotTest("the evaluation set's split", evaluation.split());
    PromotionGate.requireNotTest("the regression set's split", regression.split());
  }
}
