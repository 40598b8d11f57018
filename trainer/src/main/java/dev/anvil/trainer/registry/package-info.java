/**
 * The model registry's index in Anvil's store: one row per registered model with its card, so that
 * listing models and deciding who may see them reads no directory. The weights stay in the models'
 * directories, which the rows name.
 */
package dev.anvil.trainer.registry;
