/** Training examples: JSON-lines data sets, each example with its tags, and their governance. */
package dev.anvil.trainer.data;
