package dev.anvil.judge.spi;

/**
 * Where judgment events go once they are committed (a Kafka topic). Called from one thread, in the
 * order of the store's outbox; a failure is retried later with the same event id.
 */
public interface JudgmentEvents {
  /**
   * Sends events (the envelope's JSON, keyed by item id) and returns once they are acknowledged.
   *
   * @throws RuntimeException if they could not be sent; they will be sent again
   */
  void send(java.util.List<Event> events);

  /**
   * One event.
   *
   * @param id the envelope's stable id
   * @param key the record key (the item id: an item's events stay in order)
   * @param json the envelope
   */
  record Event(String id, String key, String json) {}
}
