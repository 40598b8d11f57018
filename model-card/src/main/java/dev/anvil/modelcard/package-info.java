/**
 * The model card ({@code anvil-model-card.json}): written by the trainer when it registers a model
 * (and once more, to add the model's one test report: {@link dev.anvil.modelcard.TestReport}), read
 * by the model registry, the promotion gate and the context engine through this one reader, so that
 * all of them see the same lineage — the tags a model inherited from its training data, on which
 * policies decide who may read, promote and serve it.
 */
package dev.anvil.modelcard;
