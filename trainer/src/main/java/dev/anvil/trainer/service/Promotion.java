package dev.anvil.trainer.service;

import dev.anvil.trainer.promote.GateDecision;

/** The gate's decision on a model, and the model (whose {@code path} an engine switches to). */
public record Promotion(GateDecision decision, ModelInfo model) {}
