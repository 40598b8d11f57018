/**
 * The model card ({@code anvil-model-card.json}): written once by the trainer, read by the model
 * registry, the promotion gate and the context engine through this one reader, so that all of them
 * see the same lineage — the tags a model inherited from its training data, on which policies
 * decide who may read, promote and serve it.
 */
package dev.anvil.modelcard;
