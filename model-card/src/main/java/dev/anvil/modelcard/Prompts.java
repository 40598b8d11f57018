package dev.anvil.modelcard;

import java.util.Objects;

/**
 * Text put before each input of one side before it is tokenized: sentence-transformers' {@code
 * prompts} ({@code config_sentence_transformers.json}). bge-small-en-v1.5, for instance, puts
 * {@code "Represent this sentence for searching relevant passages: "} before queries and nothing
 * before documents.
 *
 * @param query put before every query (may be empty)
 * @param document put before every document (may be empty)
 */
public record Prompts(String query, String document) {
  /** No prefix on either side: a symmetric model such as all-MiniLM-L6-v2. */
  public static final Prompts NONE = new Prompts("", "");

  public Prompts {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(document, "document");
  }
}
