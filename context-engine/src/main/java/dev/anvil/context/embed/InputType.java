package dev.anvil.context.embed;

import dev.anvil.modelcard.Prompts;

/**
 * What a text is to the model that embeds it. Asymmetric retrieval models (bge, e5) are trained
 * with an instruction before queries, or before passages, and score lower without it; symmetric
 * ones (all-MiniLM-L6-v2) treat both alike. Every caller says which side a text is on, so that the
 * model's {@link Prompts} go to the right one.
 */
public enum InputType {
  /** A search request's text: embedded with the model's query prefix. */
  QUERY,
  /** Text to index (a chunk with its title): embedded with the model's document prefix. */
  DOCUMENT
}
