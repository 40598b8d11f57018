/**
 * Synthetic training pairs without a generative model: pseudo-queries made from each passage of a
 * corpus (its title, a sentence taken out of it, an independent crop), hard negatives from BM25
 * (skipping the very top ranks), all deterministic by seed, written as a versioned data set with
 * its provenance.
 */
package dev.anvil.trainer.synth;
