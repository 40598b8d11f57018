package dev.anvil.trainer.service;

import dev.anvil.eval.BeirDataset;
import java.nio.file.Path;

/**
 * The promotion gate an admin configured for a trainer: the rules file (read at each decision, so
 * an edit takes effect at the next one) and the two fixed sets.
 */
public record GateSetup(Path rules, BeirDataset evaluation, BeirDataset regression) {}
