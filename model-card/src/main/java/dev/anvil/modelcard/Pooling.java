package dev.anvil.modelcard;

/**
 * How an encoder's token vectors become one text vector, as sentence-transformers' {@code
 * 1_Pooling/config.json} says: the models Anvil runs use one of these two modes.
 */
public enum Pooling {
  /**
   * The average of the token vectors the attention mask keeps ({@code pooling_mode_mean_tokens}):
   * all-MiniLM-L6-v2 and most sentence-transformers models.
   */
  MEAN,
  /**
   * The vector of the first token, {@code [CLS]} ({@code pooling_mode_cls_token}): the bge family.
   * The encoder's last hidden state at position 0, not BERT's pooler output (a dense layer and tanh
   * on top of it).
   */
  CLS
}
